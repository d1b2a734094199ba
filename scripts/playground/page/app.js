// The playground page: shows the channel, the server's roles and the traffic from the server's event stream, and
// sends what the user does (a command with its options, typing in an autocompleted option, a button click, the
// server menu's Linked Roles) to the server's small JSON API, which has Discord deliver it, in the language picked
// as the user's Discord language.
import { choiceItems, localizeCommands, parseCommand, registeredNames, suggestionsFor } from './composer.js';
import { el } from './dom.js';
import { refreshTimestamps } from './markdown.js';
import { renderMessage } from './message-view.js';
import { renderRoles } from './server-view.js';
import { renderTrafficLine } from './traffic-view.js';

const TRAFFIC_LINES_KEPT = 300;

const messageList = document.getElementById('messages');
const trafficList = document.getElementById('traffic');
const composer = document.getElementById('composer');
const input = document.getElementById('command-input');
const picker = document.getElementById('picker');
const composerError = document.getElementById('composer-error');
const suggestionBox = document.getElementById('suggestions');
const suggestionTitle = document.getElementById('suggestions-title');
const suggestionList = document.getElementById('suggestion-list');
const phone = document.getElementById('phone-frame');
const bookmarks = document.getElementById('bookmarks');
const languagePicker = document.getElementById('language');
const serverButton = document.getElementById('server-button');
const serverMenu = document.getElementById('server-menu');
const settings = document.getElementById('settings');
const rolesList = document.getElementById('roles');
const linkedRolesError = document.getElementById('linked-roles-error');

/** The languages of the bot's catalogs, by Discord's locale codes: what Discord's client sends as `locale`. */
const LANGUAGES = [
  ['en-US', 'English'],
  ['de', 'Deutsch'],
  ['fr', 'Français'],
  ['es-ES', 'Español'],
  ['pt-BR', 'Português (Brasil)'],
  ['ja', '日本語'],
  ['pl', 'Polski'],
  ['ru', 'Русский'],
  ['tr', 'Türkçe'],
];
const LOCALE_KEY = 'playground-locale';

/** How long typing must pause before Discord asks the bot for choices (it asks on every keystroke; this is kinder). */
const AUTOCOMPLETE_DELAY_MS = 150;

// `/?as=<name>`: the page acts as another person on the same server (see page-server.ts).
const actingAs = new URLSearchParams(location.search).get('as') ?? undefined;

let userName = 'You';
/** The commands as registered (default names, with their localizations), and as this user's Discord shows them. */
let registeredCommands = [];
let commands = [];
/** The user's Discord language: `?lang=`, else the one picked last time, else English. */
let locale = chosenLocale();
/** Every message shown, by id: re-rendered when the language changes ("You used /…" is in the viewer's language). */
const shownMessages = new Map();

function chosenLocale() {
  const known = (code) => LANGUAGES.some(([candidate]) => candidate === code);
  const fromUrl = new URLSearchParams(location.search).get('lang');
  if (known(fromUrl)) return fromUrl;
  try {
    const saved = localStorage.getItem(LOCALE_KEY);
    if (known(saved)) return saved;
  } catch {
    // Storage may be off: English, then.
  }
  return 'en-US';
}

async function post(path, body) {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, as: actingAs, locale }) });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer;
}

function scrolledToBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
}

function keepScrolled(list, change) {
  const follow = scrolledToBottom(list);
  change();
  if (follow) list.scrollTop = list.scrollHeight;
}

// ---- the channel ------------------------------------------------------------------------------------

function commandName(registered) {
  return commands.find((command) => command.registeredName === registered)?.name ?? registered;
}

function showMessage(message) {
  shownMessages.set(message.id, message);
  const node = renderMessage(message, { userName, commandName });
  const existing = messageList.querySelector(`[data-message-id="${message.id}"]`);
  keepScrolled(messageList, () => {
    if (existing) existing.replaceWith(node);
    else {
      // Snowflakes grow with time: keep the channel in the order Discord would.
      const later = [...messageList.querySelectorAll('[data-message-id]')].find((other) => BigInt(other.dataset.messageId) > BigInt(message.id));
      messageList.insertBefore(node, later ?? null);
    }
  });
}

function removeMessage(message) {
  shownMessages.delete(message.id);
  messageList.querySelector(`[data-message-id="${message.id}"]`)?.remove();
}

function showNotice(text) {
  keepScrolled(messageList, () => messageList.append(el('li', { class: 'notice', role: 'alert' }, text)));
}

function showCommands(list) {
  registeredCommands = list;
  commands = localizeCommands(registeredCommands, locale);
  picker.replaceChildren(
    ...commands.map((command) => el('button', { type: 'button', class: 'pick', 'data-command': command.name, title: command.description }, `/${command.name}`)),
  );
  input.placeholder = commands.length ? `Message #playground: type ${commands.map((command) => `/${command.name}`).join(', ')}` : 'Message #playground: no command is registered';
}

// ---- the user's Discord language ---------------------------------------------------------------------

languagePicker.replaceChildren(...LANGUAGES.map(([code, name]) => el('option', { value: code, lang: code }, name)));
languagePicker.value = locale;
languagePicker.addEventListener('change', () => {
  locale = languagePicker.value;
  try {
    localStorage.setItem(LOCALE_KEY, locale);
  } catch {
    // Not kept for next time, then.
  }
  hideSuggestions();
  // What Discord's client redraws in the new language: the command names, and "used /…" on messages.
  showCommands(registeredCommands);
  for (const message of [...shownMessages.values()]) showMessage(message);
  if (input.value.startsWith('/')) input.value = '';
});

async function runCommand(text) {
  composerError.textContent = '';
  if (!text.trim()) return;
  hideSuggestions();
  try {
    const { name, options } = registeredNames(parseCommand(text.startsWith('/') ? text : `/${text}`, commands), commands);
    await post('/api/command', { name, options });
    input.value = '';
  } catch (error) {
    composerError.textContent = error.message;
  }
}

// ---- the suggestion list: commands, their options, and the bot's autocomplete choices ------------------

/** What the list shows now: `{ context, items, selected }`, or undefined when it is hidden. */
let shown;
/** Bumped for every change of the text: an autocomplete answer for older text is dropped. */
let generation = 0;
let autocompleteTimer;

function hideSuggestions() {
  shown = undefined;
  clearTimeout(autocompleteTimer);
  suggestionBox.hidden = true;
  input.setAttribute('aria-expanded', 'false');
  input.removeAttribute('aria-activedescendant');
}

function renderSuggestions(context, items, note) {
  shown = { context, items, selected: items.length ? 0 : -1 };
  suggestionTitle.textContent = context.title;
  suggestionList.replaceChildren(
    ...items.map((item, i) =>
      el('li', { role: 'option', id: `suggestion-${i}`, 'data-index': i, 'aria-selected': String(i === 0) }, el('span', { class: 'label' }, item.label), item.detail ? el('span', { class: 'detail' }, item.detail) : undefined),
    ),
    ...(note ? [el('li', { class: 'note', 'aria-disabled': 'true' }, note)] : []),
  );
  suggestionBox.hidden = false;
  input.setAttribute('aria-expanded', 'true');
  highlight(shown.selected);
}

function highlight(index) {
  if (!shown) return;
  shown.selected = index;
  for (const node of suggestionList.querySelectorAll('[role=option]')) node.setAttribute('aria-selected', String(Number(node.dataset.index) === index));
  if (index >= 0) input.setAttribute('aria-activedescendant', `suggestion-${index}`);
  else input.removeAttribute('aria-activedescendant');
}

function pick(index) {
  const item = shown?.items[index];
  if (!item) return;
  input.value = item.text;
  input.focus();
  updateSuggestions();
}

/** Asks the Worker, through Discord, which choices to show for the option being typed (type 4 -> type 8). */
async function askForChoices(context, asked) {
  try {
    // Discord asks the bot in the registered names, whatever the user's language.
    const typed = registeredNames({ name: context.command, options: { ...context.filled, [context.focused]: context.typed } }, commands);
    const focused = registeredNames({ name: context.command, options: { [context.focused]: '' } }, commands);
    const answer = await post('/api/autocomplete', { ...typed, focused: Object.keys(focused.options)[0] });
    if (asked !== generation) return;
    // What Discord's client says when the bot's answer does not come, or is refused.
    if (answer.failure) return renderSuggestions(context, [], 'Loading options failed');
    const items = choiceItems(context, answer.choices);
    renderSuggestions(context, items, items.length ? undefined : 'No options match your search');
  } catch (error) {
    if (asked === generation) renderSuggestions(context, [], `Loading options failed: ${error.message}`);
  }
}

function updateSuggestions() {
  const asked = ++generation;
  clearTimeout(autocompleteTimer);
  const context = suggestionsFor(input.value, commands);
  if (!context) return hideSuggestions();
  if (context.kind !== 'choices') return renderSuggestions(context, context.items);
  if (!shown || shown.context.kind !== 'choices') renderSuggestions(context, [], 'Loading options…');
  autocompleteTimer = setTimeout(() => askForChoices(context, asked), AUTOCOMPLETE_DELAY_MS);
}

input.addEventListener('input', () => {
  composerError.textContent = '';
  updateSuggestions();
});
input.addEventListener('focus', () => {
  if (input.value) updateSuggestions();
});
input.addEventListener('blur', () => setTimeout(hideSuggestions, 150));

input.addEventListener('keydown', (event) => {
  if (!shown) return;
  const count = shown.items.length;
  if (event.key === 'ArrowDown' && count) highlight((shown.selected + 1) % count);
  else if (event.key === 'ArrowUp' && count) highlight((shown.selected - 1 + count) % count);
  else if (event.key === 'Escape') hideSuggestions();
  else if (event.key === 'Tab' && shown.selected >= 0) pick(shown.selected);
  // Enter picks what is highlighted, as in Discord, except on a command typed in full: then it sends.
  else if (event.key === 'Enter' && shown.selected >= 0 && !(shown.context.kind === 'commands' && shown.context.exact)) pick(shown.selected);
  else return;
  event.preventDefault();
});

// mousedown, not click: the input keeps its focus (and the list is not hidden by the blur).
suggestionList.addEventListener('mousedown', (event) => {
  const option = event.target.closest('[role=option]');
  if (!option) return;
  event.preventDefault();
  pick(Number(option.dataset.index));
});

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  runCommand(input.value);
});

picker.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-command]');
  if (!button) return;
  const command = commands.find((c) => c.name === button.dataset.command);
  // A command with options goes into the box, with its options offered; one without is sent at once.
  if (command?.options.length) {
    input.value = `/${command.name} `;
    input.focus();
    updateSuggestions();
  } else runCommand(button.dataset.command);
});

messageList.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-custom-id]');
  if (!button) return;
  const messageId = button.closest('[data-message-id]').dataset.messageId;
  button.disabled = true;
  try {
    await post('/api/click', { messageId, customId: button.dataset.customId });
  } catch (error) {
    showNotice(`That click did not go through: ${error.message}`);
    button.disabled = false;
  }
});

// ---- the server menu: Server Settings (its roles) and Linked Roles --------------------------------------

function showServerMenu(open) {
  serverMenu.hidden = !open;
  serverButton.setAttribute('aria-expanded', String(open));
}

serverButton.addEventListener('click', () => showServerMenu(serverMenu.hidden));
document.addEventListener('click', (event) => {
  if (!serverMenu.hidden && !event.target.closest('.server-header')) showServerMenu(false);
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !serverMenu.hidden) showServerMenu(false);
});

document.getElementById('menu-settings').addEventListener('click', () => {
  showServerMenu(false);
  settings.hidden = false;
});
document.getElementById('settings-close').addEventListener('click', () => {
  settings.hidden = true;
});

// As in Discord: Linked Roles opens the app's Linked Roles Verification URL in the browser (here, the phone's).
document.getElementById('menu-linked-roles').addEventListener('click', async () => {
  showServerMenu(false);
  linkedRolesError.textContent = '';
  try {
    const { url } = await post('/api/linked-roles', {});
    settings.hidden = false;
    phone.setAttribute('src', url);
  } catch (error) {
    linkedRolesError.textContent = `Linked Roles did not open: ${error.message}`;
  }
});

function showRoles(view) {
  rolesList.replaceChildren(...renderRoles(view));
}

// ---- the traffic log --------------------------------------------------------------------------------

function showTraffic(line) {
  keepScrolled(trafficList, () => {
    // By arrival time: Discord logs a delivery once it is answered, after the requests the Worker made meanwhile.
    const later = [...trafficList.children].find((other) => Number(other.dataset.time) > line.time);
    trafficList.insertBefore(renderTrafficLine(line), later ?? null);
    while (trafficList.childElementCount > TRAFFIC_LINES_KEPT) trafficList.firstElementChild.remove();
  });
}

// ---- live updates -----------------------------------------------------------------------------------

const events = new EventSource(actingAs ? `/api/events?as=${encodeURIComponent(actingAs)}` : '/api/events');
const data = (event) => JSON.parse(event.data);

// Sent on every (re)connection: the whole state so far.
events.addEventListener('snapshot', (event) => {
  const snapshot = data(event);
  userName = snapshot.user.name;
  showCommands(snapshot.commands);
  showRoles(snapshot.linkedRoles);
  // The phone's bookmarks: each provider's device page (the code message's link opens the same pages there).
  bookmarks.replaceChildren(...snapshot.devicePages.map((page) => el('a', { href: page.url, target: 'phone', class: 'bookmark' }, page.name)));
  if (!phone.getAttribute('src') && snapshot.devicePages[0]) phone.setAttribute('src', snapshot.devicePages[0].url);
  messageList.replaceChildren();
  shownMessages.clear();
  snapshot.messages.forEach(showMessage);
  trafficList.replaceChildren();
  snapshot.traffic.forEach(showTraffic);
  document.body.dataset.connected = 'true';
});
events.addEventListener('message', (event) => {
  const { action, message } = data(event);
  if (action === 'deleted') removeMessage(message);
  else showMessage(message);
});
events.addEventListener('failure', (event) => {
  const { failure } = data(event);
  showNotice(`This interaction failed (${failure.what}): ${failure.reason}`);
});
events.addEventListener('traffic', (event) => showTraffic(data(event).line));
events.addEventListener('linkedRoles', (event) => showRoles(data(event)));
events.addEventListener('error', () => {
  document.body.dataset.connected = 'false';
});

setInterval(() => refreshTimestamps(messageList), 15_000);
