// The playground page: shows the channel and the traffic from the server's event stream, and sends what
// the user does (a command, a button click) to the server's small JSON API, which has Discord deliver it.
import { el } from './dom.js';
import { refreshTimestamps } from './markdown.js';
import { renderMessage } from './message-view.js';
import { renderTrafficLine } from './traffic-view.js';

const TRAFFIC_LINES_KEPT = 300;

const messageList = document.getElementById('messages');
const trafficList = document.getElementById('traffic');
const composer = document.getElementById('composer');
const input = document.getElementById('command-input');
const picker = document.getElementById('picker');
const commandList = document.getElementById('command-list');
const composerError = document.getElementById('composer-error');
const phone = document.getElementById('facebook-frame');

let userName = 'You';

async function post(path, body) {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
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

function showMessage(message) {
  const node = renderMessage(message, { userName });
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
  messageList.querySelector(`[data-message-id="${message.id}"]`)?.remove();
}

function showNotice(text) {
  keepScrolled(messageList, () => messageList.append(el('li', { class: 'notice', role: 'alert' }, text)));
}

function showCommands(commands) {
  picker.replaceChildren(
    ...commands.map((command) => el('button', { type: 'button', class: 'pick', 'data-command': command.name, title: command.description }, `/${command.name}`)),
  );
  commandList.replaceChildren(...commands.map((command) => el('option', { value: `/${command.name}` }, command.description)));
}

async function runCommand(text) {
  composerError.textContent = '';
  const name = text.trim().replace(/^\//, '');
  if (!name) return;
  try {
    await post('/api/command', { name });
    input.value = '';
  } catch (error) {
    composerError.textContent = error.message;
  }
}

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  runCommand(input.value);
});

picker.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-command]');
  if (button) runCommand(button.dataset.command);
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

const events = new EventSource('/api/events');
const data = (event) => JSON.parse(event.data);

// Sent on every (re)connection: the whole state so far.
events.addEventListener('snapshot', (event) => {
  const snapshot = data(event);
  userName = snapshot.user.name;
  showCommands(snapshot.commands);
  if (!phone.getAttribute('src')) phone.setAttribute('src', snapshot.facebookDeviceUrl);
  messageList.replaceChildren();
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
events.addEventListener('error', () => {
  document.body.dataset.connected = 'false';
});

setInterval(() => refreshTimestamps(messageList), 15_000);
