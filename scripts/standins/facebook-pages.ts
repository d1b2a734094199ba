/**
 * The stand-in's www.facebook.com pages (`/device`, the `dialog/oauth` login dialog, its error page) and profile
 * pictures: self-contained HTML and SVG, nothing loaded from elsewhere. Kept apart from the Graph logic so a
 * playground can restyle them.
 */
import type { Identity } from './facebook-device-logins.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
  body { font: 16px/1.4 system-ui, sans-serif; background: #f0f2f5; margin: 0; color: #1c1e21; }
  .brand { background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.1); padding: .6rem 1rem;
           color: #1877f2; font-weight: 700; font-size: 1.6rem; letter-spacing: -.03em; }
  main { max-width: 26rem; margin: 2rem auto; background: #fff; border-radius: 8px; padding: 1.5rem;
         box-shadow: 0 1px 3px rgba(0,0,0,.2); }
  h1 { font-size: 1.3rem; margin-top: 0; }
  label, legend { display: block; margin: 1rem 0 .3rem; font-weight: 600; padding: 0; }
  fieldset { border: 0; margin: 0; padding: 0; }
  input[name=user_code] { width: 100%; box-sizing: border-box; font-size: 1.1rem; padding: .5rem;
         letter-spacing: .2em; text-transform: uppercase; font-family: monospace; }
  .identity { display: flex; align-items: center; gap: .6rem; font-weight: normal; margin: .3rem 0; padding: .4rem;
              border: 1px solid #dddfe2; border-radius: 6px; cursor: pointer; }
  .identity:has(input:checked) { border-color: #1877f2; background: #e7f3ff; }
  .identity img { width: 40px; height: 40px; border-radius: 50%; }
  .buttons { display: flex; gap: .5rem; margin-top: 1.5rem; }
  button { flex: 1; font-size: 1rem; padding: .6rem; border-radius: 6px; border: 0; cursor: pointer; }
  button[value=continue] { background: #1877f2; color: #fff; }
  button[value=cancel] { background: #e4e6eb; }
  .scope { display: flex; align-items: center; gap: .5rem; font-weight: normal; margin: .3rem 0; }
  .message { padding: .6rem; border-radius: 6px; background: #e7f3ff; }
  .message.error { background: #ffebe9; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><div class="brand" aria-hidden="true">facebook</div><main>${body}</main></body>
</html>
`;
}

/** A test identity as the page offers it: its name and where its picture is. */
export interface IdentityChoice {
  name: string;
  pictureUrl: string;
}

export interface DevicePageInput {
  appName: string;
  userCode?: string;
  identities: readonly IdentityChoice[];
  /** Permissions the person may decline (known once the code is): one checkbox each, checked. */
  optionalScopes?: readonly string[];
  /** A note above the form, e.g. why the last attempt failed. */
  error?: string;
}

function identityChoices(identities: readonly IdentityChoice[]): string {
  return identities
    .map(
      (identity, i) => `<label class="identity"><input type="radio" name="identity" value="${escapeHtml(identity.name)}"${i === 0 ? ' checked' : ''}>` +
        `<img src="${escapeHtml(identity.pictureUrl)}" alt=""> ${escapeHtml(identity.name)}</label>`,
    )
    .join('\n  ');
}

/**
 * A checkbox `grant.<scope>` per optional permission, and `offered` listing them, so a submitted form tells
 * "unchecked" apart from "never offered" (a form without `offered` grants everything).
 */
function scopeChoices(scopes: readonly string[] | undefined): string {
  if (!scopes || scopes.length === 0) return '';
  const boxes = scopes
    .map((scope) => `<label class="scope"><input type="checkbox" name="grant.${escapeHtml(scope)}" value="1" checked> ${escapeHtml(scope)}</label>`)
    .join('\n  ');
  return `<fieldset>
  <legend>Allow access to</legend>
  <input type="hidden" name="offered" value="${escapeHtml(scopes.join(','))}">
  <label class="scope"><input type="checkbox" checked disabled> public_profile (always)</label>
  ${boxes}
  </fieldset>`;
}

/** The permissions granted by a submitted form: undefined when it offered no choice (grant all). */
export function grantedScopesFromForm(params: Record<string, string>): string[] | undefined {
  if (params.offered === undefined) return undefined;
  return params.offered.split(',').filter((scope) => scope && params[`grant.${scope}`] !== undefined);
}

/** The form a person uses to enter the code and answer for one of the test identities (name and picture). */
export function devicePage(input: DevicePageInput): string {
  const choices = identityChoices(input.identities);
  return page(
    'Log in on a device',
    `<h1>Connect a device</h1>
${input.error ? `<p class="message error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<p>Enter the code shown by <strong>${escapeHtml(input.appName)}</strong>.</p>
<form method="post" action="/device">
  <label for="user_code">Code</label>
  <input id="user_code" name="user_code" value="${escapeHtml(input.userCode ?? '')}" autocomplete="off" autocapitalize="characters" maxlength="16" required>
  <fieldset>
  <legend>Continue as</legend>
  ${choices}
  </fieldset>
  ${scopeChoices(input.optionalScopes)}
  <div class="buttons">
    <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
    <button type="submit" name="action" value="continue">Continue</button>
  </div>
</form>`,
  );
}

export interface DialogPageInput {
  appName: string;
  /** Where the form posts: the dialog's own path. */
  action: string;
  /** The dialog request's parameters, carried through the form as hidden fields. */
  request: Record<string, string>;
  identities: readonly IdentityChoice[];
  optionalScopes: readonly string[];
  error?: string;
}

/** The login dialog (`dialog/oauth`): continue as one of the test identities, or cancel. */
export function dialogPage(input: DialogPageInput): string {
  const hidden = Object.entries(input.request)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n  ');
  return page(
    'Log in with Facebook',
    `<h1>Log in to ${escapeHtml(input.appName)}</h1>
${input.error ? `<p class="message error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<p><strong>${escapeHtml(input.appName)}</strong> is requesting access to your name and profile picture.</p>
<form method="post" action="${escapeHtml(input.action)}">
  ${hidden}
  <fieldset>
  <legend>Continue as</legend>
  ${identityChoices(input.identities)}
  </fieldset>
  ${scopeChoices(input.optionalScopes)}
  <div class="buttons">
    <button type="submit" name="action" value="cancel">Cancel</button>
    <button type="submit" name="action" value="continue">Continue</button>
  </div>
</form>`,
  );
}

/** What the dialog shows instead of redirecting: an unknown app, or a redirect URI that is not registered. */
export function dialogErrorPage(input: { title: string; message: string }): string {
  return page(input.title, `<h1>${escapeHtml(input.title)}</h1>
<p class="message error" role="alert">${escapeHtml(input.message)}</p>`);
}

/** After the decision: what Facebook tells the person. */
export function deviceDonePage(input: { appName: string; approved: boolean; identityName?: string }): string {
  const text = input.approved
    ? `Success! You are logged in to ${input.appName} as ${input.identityName ?? 'yourself'}. Return to your device to continue.`
    : `You cancelled logging in to ${input.appName}. You can close this page.`;
  return page(input.approved ? 'Logged in' : 'Cancelled', `<h1>${input.approved ? 'You are connected' : 'Cancelled'}</h1>
<p class="message" role="status">${escapeHtml(text)}</p>`);
}

const COLORS = ['#1877f2', '#42b72a', '#f02849', '#f7b928', '#8b44f7', '#0bbcd4'];

/** A round avatar with the name's initials, colored by the user id. */
export function pictureSvg(name: string, userId: string, size = 100): string {
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => [...part][0]!.toUpperCase())
    .join('');
  const color = COLORS[Number(BigInt(userId) % BigInt(COLORS.length))];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">
<circle cx="50" cy="50" r="50" fill="${color}"/>
<text x="50" y="50" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="40" fill="#fff">${escapeHtml(initials)}</text>
</svg>
`;
}
