// One Discord message as the Discord client shows it: who ran which command, the bot's name, content,
// embeds (colour bar, title, description, fields, thumbnail, footer), buttons, and the ephemeral marker.
import { el, isLoopback, webUrl } from './dom.js';
import { renderMarkdown } from './markdown.js';

const EPHEMERAL = 64;
const LOADING = 128; // the "thinking…" placeholder of a deferred answer
const ComponentType = { ActionRow: 1, Button: 2 };
const ButtonStyle = { Primary: 1, Secondary: 2, Success: 3, Danger: 4, Link: 5 };
const BUTTON_CLASS = { 1: 'primary', 2: 'secondary', 3: 'success', 4: 'danger', 5: 'link' };

/**
 * `<li class="message">` for a message as Discord's API returns it. `commandName` gives the name the viewer's
 * Discord shows for a registered command name (its localization), as in "You used /…".
 */
export function renderMessage(message, { userName, commandName = (name) => name }) {
  const author = message.author?.username ?? 'bot';
  const command = message.interaction_metadata?.name;
  // Who ran the command: the page's person, or someone else on the server (their public messages show too).
  const invoker = message.interaction_metadata?.user;
  const invokerName = invoker?.global_name ?? invoker?.username ?? userName;
  const loading = (message.flags & LOADING) !== 0;
  return el(
    'li',
    { class: 'message', 'data-message-id': message.id },
    command ? el('div', { class: 'invocation' }, el('span', { class: 'invoker' }, invokerName), ' used ', el('span', { class: 'command' }, `/${commandName(command)}`)) : undefined,
    el('div', { class: 'avatar', 'aria-hidden': 'true' }, [...author][0]?.toUpperCase() ?? '?'),
    el(
      'div',
      { class: 'body' },
      el(
        'div',
        { class: 'author-line' },
        el('span', { class: 'author' }, author),
        el('span', { class: 'app-tag' }, 'APP'),
        el('time', { class: 'sent', datetime: message.timestamp }, shortTime(message.timestamp)),
      ),
      loading
        ? el('div', { class: 'content thinking' }, `${author} is thinking`, el('span', { class: 'dots', 'aria-hidden': 'true' }, '…'))
        : message.content
          ? el('div', { class: 'content' }, renderMarkdown(message.content), editedMark(message))
          : undefined,
      ...(message.embeds ?? []).map(renderEmbed),
      renderComponents(message.components ?? []),
      !message.content && message.edited_timestamp && !loading ? el('div', { class: 'edited-line' }, editedMark(message)) : undefined,
      (message.flags & EPHEMERAL) !== 0 ? ephemeralNote() : undefined,
    ),
  );
}

function shortTime(iso) {
  return iso ? new Date(iso).toLocaleTimeString(undefined, { timeStyle: 'short' }) : '';
}

function editedMark(message) {
  return message.edited_timestamp ? el('span', { class: 'edited', title: new Date(message.edited_timestamp).toLocaleString() }, ' (edited)') : undefined;
}

function colour(value) {
  return typeof value === 'number' ? `#${value.toString(16).padStart(6, '0')}` : undefined;
}

function renderEmbed(embed) {
  const thumbnail = embed.thumbnail?.url;
  const titleUrl = embed.url && webUrl(embed.url);
  const title = embed.title ? renderMarkdown(embed.title) : undefined;
  const node = el(
    'div',
    { class: 'embed' },
    el(
      'div',
      { class: 'embed-main' },
      title ? el('div', { class: 'embed-title' }, titleUrl ? el('a', { href: titleUrl, target: '_blank', rel: 'noopener noreferrer' }, title) : title) : undefined,
      embed.description ? el('div', { class: 'embed-description' }, renderMarkdown(embed.description)) : undefined,
      embed.fields?.length
        ? el(
            'div',
            { class: 'embed-fields' },
            ...embed.fields.map((field) =>
              el(
                'div',
                { class: field.inline ? 'embed-field inline' : 'embed-field' },
                el('div', { class: 'embed-field-name' }, renderMarkdown(field.name)),
                el('div', { class: 'embed-field-value' }, renderMarkdown(field.value)),
              ),
            ),
          )
        : undefined,
      embed.footer?.text ? el('div', { class: 'embed-footer' }, embed.footer.text) : undefined,
    ),
    // Images only from this machine: the page never loads anything from the network.
    thumbnail && isLoopback(thumbnail) ? el('img', { class: 'embed-thumbnail', src: thumbnail, alt: '' }) : undefined,
  );
  // Through CSSOM: the page's Content-Security-Policy refuses style attributes.
  if (colour(embed.color)) node.style.setProperty('--embed-colour', colour(embed.color));
  return node;
}

function renderComponents(components) {
  if (components.length === 0) return undefined;
  return el(
    'div',
    { class: 'components' },
    ...components.map((row) =>
      row.type === ComponentType.ActionRow
        ? el('div', { class: 'action-row' }, ...(row.components ?? []).map(renderButton))
        : el('div', { class: 'unsupported' }, `(a component of type ${row.type}, not shown here)`),
    ),
  );
}

function renderButton(button) {
  if (button.type !== ComponentType.Button) return el('span', { class: 'unsupported' }, `(component type ${button.type})`);
  const className = `button ${BUTTON_CLASS[button.style] ?? 'secondary'}`;
  if (button.style === ButtonStyle.Link) {
    const url = webUrl(button.url ?? '');
    // A link to this machine (a provider stand-in's device page) opens in the phone frame beside the channel.
    const target = url && isLoopback(url) ? 'phone' : '_blank';
    return url
      ? el('a', { class: className, href: url, target, rel: target === '_blank' ? 'noopener noreferrer' : undefined }, button.label ?? url, el('span', { class: 'external', 'aria-hidden': 'true' }, ' ↗'))
      : el('span', { class: className }, button.label ?? '');
  }
  return el('button', { type: 'button', class: className, 'data-custom-id': button.custom_id, disabled: button.disabled === true }, button.label ?? '');
}

function ephemeralNote() {
  const eye = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  eye.setAttribute('viewBox', '0 0 24 24');
  eye.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', 'M12 5C5.6 5 2 12 2 12s3.6 7 10 7 10-7 10-7-3.6-7-10-7zm0 11a4 4 0 1 1 0-8 4 4 0 0 1 0 8zm0-6a2 2 0 1 0 0 4 2 2 0 0 0 0-4z');
  eye.append(path);
  return el('div', { class: 'ephemeral-note' }, eye, 'Only you can see this');
}
