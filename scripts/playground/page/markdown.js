// The part of Discord's markdown the bot uses: code blocks, inline code, bold, italics, underline, strike,
// backslash escapes, timestamps (<t:1700000000:R>) and links. Renders into DOM nodes, never HTML strings.
import { el, webUrl } from './dom.js';

const CODE_BLOCK = /```(?:[\w+-]*\n)?([\s\S]*?)```/;

// Alternatives in the order Discord gives them precedence; content groups skip over escaped characters.
const INLINE = new RegExp(
  [
    String.raw`\\([^\sA-Za-z0-9])`, //                               1 escaped character
    String.raw`\x60([^\x60]+)\x60`, //                               2 inline code
    String.raw`\*\*((?:\\.|[^\\])+?)\*\*`, //                        3 bold
    String.raw`__((?:\\.|[^\\])+?)__`, //                            4 underline
    String.raw`\*((?:\\.|[^\\*])+?)\*`, //                           5 italic
    String.raw`(?<![A-Za-z0-9])_((?:\\.|[^\\_])+?)_(?![A-Za-z0-9])`, // 6 italic
    String.raw`~~((?:\\.|[^\\])+?)~~`, //                            7 strike-through
    String.raw`<t:(-?\d{1,13})(?::([tTdDfFR]))?>`, //                8, 9 timestamp and style
    String.raw`\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)`, //             10, 11 masked link
    String.raw`<(https?:\/\/[^\s>]+)>`, //                           12 link without preview
    String.raw`(https?:\/\/[^\s<]*[^\s<.,:;"')\]])`, //              13 bare link
  ].join('|'),
  'g',
);

/** A DocumentFragment showing `text` as Discord would. */
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  // split() with one capture group: even parts are prose, odd parts the inside of code blocks.
  text.split(CODE_BLOCK).forEach((part, i) => {
    if (i % 2 === 1) fragment.append(el('pre', {}, el('code', {}, part.replace(/\n$/, ''))));
    else appendInline(fragment, part);
  });
  return fragment;
}

function appendInline(parent, text) {
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) parent.append(text.slice(last, match.index));
    parent.append(inlineNode(match));
    last = match.index + match[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

function nested(tag, text) {
  const node = el(tag);
  appendInline(node, text);
  return node;
}

function link(href, label) {
  const url = webUrl(href);
  if (!url) return label;
  return el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, label);
}

function inlineNode(m) {
  if (m[1] !== undefined) return m[1];
  if (m[2] !== undefined) return el('code', {}, m[2]);
  if (m[3] !== undefined) return nested('strong', m[3]);
  if (m[4] !== undefined) return nested('u', m[4]);
  if (m[5] !== undefined) return nested('em', m[5]);
  if (m[6] !== undefined) return nested('em', m[6]);
  if (m[7] !== undefined) return nested('s', m[7]);
  if (m[8] !== undefined) return timestamp(Number(m[8]), m[9] ?? 'f');
  if (m[10] !== undefined) return link(m[11], m[10]);
  if (m[12] !== undefined) return link(m[12], m[12]);
  return link(m[13], m[13]);
}

function timestamp(unixSeconds, style) {
  const node = el('time', { class: 'timestamp', 'data-unix': unixSeconds, 'data-style': style, datetime: new Date(unixSeconds * 1000).toISOString() });
  node.textContent = formatTimestamp(unixSeconds, style);
  return node;
}

const RELATIVE_UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** Discord's timestamp styles, in the reader's own time zone and language. */
export function formatTimestamp(unixSeconds, style, nowMs = Date.now()) {
  const date = new Date(unixSeconds * 1000);
  switch (style) {
    case 't':
      return date.toLocaleTimeString(undefined, { timeStyle: 'short' });
    case 'T':
      return date.toLocaleTimeString(undefined, { timeStyle: 'medium' });
    case 'd':
      return date.toLocaleDateString(undefined, { dateStyle: 'short' });
    case 'D':
      return date.toLocaleDateString(undefined, { dateStyle: 'long' });
    case 'F':
      return date.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
    case 'R': {
      const seconds = Math.round(unixSeconds - nowMs / 1000);
      const [unit, size] = RELATIVE_UNITS.find(([, size]) => Math.abs(seconds) >= size) ?? ['second', 1];
      return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(Math.round(seconds / size), unit);
    }
    default:
      return date.toLocaleString(undefined, { dateStyle: 'long', timeStyle: 'short' });
  }
}

/** Brings every relative timestamp under `root` up to date ("in 7 minutes" becomes "in 6 minutes"). */
export function refreshTimestamps(root) {
  for (const node of root.querySelectorAll('time.timestamp[data-style="R"]')) {
    node.textContent = formatTimestamp(Number(node.dataset.unix), 'R');
  }
}
