// Server Settings › Roles, as Discord shows a role with Linked Roles requirements (Roles › Verified › Links), and
// whether the page's person meets them: the Discord stand-in's judgement of the role connection the Worker pushed.
import { el } from './dom.js';

/** The `<li>`s of the roles list for the server's `view` (see server-roles.ts), or a note when there is none. */
export function renderRoles(view) {
  if (!view) return [el('li', { class: 'role-note' }, 'Linked Roles are not set up in this playground.')];
  // The app can speak for a member only once they connected it (Linked Roles › the app's consent).
  const connection = view.connection
    ? el('li', { class: 'role-note connection-line' }, 'Your connection: ', el('strong', {}, view.connection.platformName ?? view.appName), view.connection.platformUsername ? ` (${view.connection.platformUsername})` : '')
    : el('li', { class: 'role-note connection-line' }, `You have not connected ${view.appName}: open Linked Roles in the server menu.`);
  return [...view.roles.map(renderRole), connection];
}

function renderRole(role) {
  const node = el(
    'li',
    { class: 'role', 'data-role': role.name, 'data-eligible': String(role.eligible) },
    el('div', { class: 'role-name' }, el('span', { class: 'role-dot', 'aria-hidden': 'true' }), role.name),
    el('div', { class: 'role-links-title' }, 'Links · members need all of'),
    el('ul', { class: 'requirements' }, ...role.requirements.map(renderRequirement)),
    el('div', { class: 'role-status', role: 'status' }, role.eligible ? 'You can take this role' : 'You cannot take this role yet'),
  );
  // Through CSSOM: the page's Content-Security-Policy refuses style attributes.
  node.style.setProperty('--role-colour', `#${role.color.toString(16).padStart(6, '0')}`);
  return node;
}

function renderRequirement(requirement) {
  const status = !requirement.registered ? 'the app registered no such record' : requirement.met ? 'Met' : 'Not met';
  return el(
    'li',
    { class: 'requirement', 'data-key': requirement.key, 'data-met': String(requirement.met) },
    el('span', { class: 'requirement-label' }, requirement.label),
    el('span', { class: 'requirement-status' }, el('span', { 'aria-hidden': 'true' }, requirement.met ? '✓ ' : '✗ '), status),
  );
}
