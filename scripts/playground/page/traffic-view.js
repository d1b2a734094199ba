// A line of the HTTP traffic log: when, who called whom, method, path, status and the stand-in's note.
import { el } from './dom.js';

export function renderTrafficLine(line) {
  const statusClass = line.status === 0 ? 'none' : `s${String(line.status)[0]}xx`;
  return el(
    'li',
    { class: 'traffic-line', 'data-id': line.id, 'data-time': line.time },
    el('time', {}, new Date(line.time).toLocaleTimeString(undefined, { hour12: false })),
    el('span', { class: 'direction' }, `${line.from} → ${line.to}`),
    el('code', { class: 'request' }, `${line.method} ${line.path}`),
    el('span', { class: `status ${statusClass}` }, line.status === 0 ? 'no answer' : String(line.status)),
    line.note ? el('span', { class: 'note' }, line.note) : undefined,
  );
}
