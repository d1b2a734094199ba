/**
 * The pages a person sees at the GitHub, Google and Microsoft stand-ins, and their avatars: self-contained HTML
 * and SVG, no scripts, nothing loaded from elsewhere, styled just enough (name, colours) that a person sees which
 * provider they are on. The playground shows them in its "phone" frame; browser tests click through them.
 *
 * Forms, for tests that drive them:
 * - device page: `user_code`, `identity` (radio, the name), button `action` = `authorize` | `cancel`;
 * - authorize page: hidden `request_id`, `identity` (radio), button `action` = `authorize` | `cancel`.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Brand {
  /** The provider, as the page names it: "GitHub". */
  name: string;
  /** The brand bar's text. */
  wordmark: string;
  /** Primary buttons and highlights. */
  accent: string;
  /** Text on the primary button. */
  accentText: string;
  /** The brand bar. */
  bar: string;
  barText: string;
  /** Page background. */
  background: string;
  /** Avatar colours, picked by the user's id. */
  avatarColors: readonly string[];
}

/** A test identity as the pages offer it. */
export interface IdentityChoice {
  name: string;
  pictureUrl: string;
  /** A second line: the login or the e-mail address. */
  detail?: string;
}

function style(brand: Brand): string {
  return `
  body { font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background: ${brand.background}; margin: 0; color: #1f2328; }
  .brand { background: ${brand.bar}; color: ${brand.barText}; padding: .65rem 1rem; font-weight: 700; font-size: 1.35rem;
           letter-spacing: -.01em; box-shadow: 0 1px 2px rgba(0,0,0,.12); }
  main { max-width: 26rem; margin: 1.5rem auto; background: #fff; border-radius: 10px; padding: 1.5rem;
         box-shadow: 0 1px 3px rgba(0,0,0,.18); }
  h1 { font-size: 1.3rem; margin-top: 0; }
  label, legend { display: block; margin: 1rem 0 .3rem; font-weight: 600; padding: 0; }
  fieldset { border: 0; margin: 0; padding: 0; }
  input[name=user_code] { width: 100%; box-sizing: border-box; font-size: 1.15rem; padding: .5rem;
         letter-spacing: .15em; text-transform: uppercase; font-family: ui-monospace, monospace; }
  .identity { display: flex; align-items: center; gap: .6rem; font-weight: normal; margin: .3rem 0; padding: .45rem;
              border: 1px solid #d0d7de; border-radius: 8px; cursor: pointer; }
  .identity:has(input:checked) { border-color: ${brand.accent}; box-shadow: 0 0 0 1px ${brand.accent}; }
  .identity img { width: 40px; height: 40px; border-radius: 50%; }
  .identity small { display: block; color: #59636e; }
  .buttons { display: flex; gap: .5rem; margin-top: 1.5rem; }
  button { flex: 1; font-size: 1rem; padding: .6rem; border-radius: 8px; border: 1px solid #d0d7de; cursor: pointer; background: #f6f8fa; }
  button[value=authorize] { background: ${brand.accent}; color: ${brand.accentText}; border-color: ${brand.accent}; }
  .message { padding: .6rem; border-radius: 8px; background: #eef3ff; }
  .message.error { background: #ffebe9; }
  ul.scopes { padding-left: 1.2rem; }
  code { font-family: ui-monospace, monospace; }
`;
}

function page(brand: Brand, title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · ${escapeHtml(brand.name)}</title><style>${style(brand)}</style></head>
<body><div class="brand" aria-hidden="true">${escapeHtml(brand.wordmark)}</div><main>${body}</main></body>
</html>
`;
}

function identityChoices(identities: readonly IdentityChoice[], selected?: string): string {
  const chosen = selected && identities.some((identity) => identity.name === selected) ? selected : identities[0]?.name;
  return identities
    .map(
      (identity) =>
        `<label class="identity"><input type="radio" name="identity" value="${escapeHtml(identity.name)}"${identity.name === chosen ? ' checked' : ''}>` +
        `<img src="${escapeHtml(identity.pictureUrl)}" alt=""><span>${escapeHtml(identity.name)}` +
        `${identity.detail ? `<small>${escapeHtml(identity.detail)}</small>` : ''}</span></label>`,
    )
    .join('\n  ');
}

const errorNote = (error: string | undefined) => (error ? `<p class="message error" role="alert">${escapeHtml(error)}</p>` : '');

export interface DevicePageInput {
  brand: Brand;
  /** The form's target path, e.g. `/login/device`. */
  action: string;
  heading: string;
  userCode?: string;
  /** How a code looks, e.g. `XXXX-XXXX`. */
  codeFormat: string;
  identities: readonly IdentityChoice[];
  selected?: string;
  /** A note above the form, e.g. why the last attempt failed. */
  error?: string;
}

/** Enter the code from the device, choose who you are, Authorize or Cancel. */
export function devicePage(input: DevicePageInput): string {
  return page(
    input.brand,
    input.heading,
    `<h1>${escapeHtml(input.heading)}</h1>
${errorNote(input.error)}
<p>Enter the code displayed on your device.</p>
<form method="post" action="${escapeHtml(input.action)}">
  <label for="user_code">Code</label>
  <input id="user_code" name="user_code" value="${escapeHtml(input.userCode ?? '')}" placeholder="${escapeHtml(input.codeFormat)}" autocomplete="off" autocapitalize="characters" maxlength="20" required>
  <fieldset>
  <legend>Sign in as</legend>
  ${identityChoices(input.identities, input.selected)}
  </fieldset>
  <div class="buttons">
    <button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
    <button type="submit" name="action" value="authorize">Authorize</button>
  </div>
</form>`,
  );
}

/** After the decision on the device page. */
export function deviceDonePage(input: { brand: Brand; approved: boolean; identityName?: string }): string {
  const text = input.approved
    ? `Signed in as ${input.identityName ?? 'you'}. Your device is now connected; you can close this page.`
    : 'You cancelled. Nothing was shared with the device; you can close this page.';
  return page(
    input.brand,
    input.approved ? 'Device connected' : 'Cancelled',
    `<h1>${input.approved ? 'All set' : 'Cancelled'}</h1>
<p class="message" role="status">${escapeHtml(text)}</p>`,
  );
}

export interface AuthorizePageInput {
  brand: Brand;
  action: string;
  requestId: string;
  appName: string;
  scopes: readonly string[];
  /** Where the browser goes next, shown so a person can tell apps apart. */
  redirectOrigin: string;
  identities: readonly IdentityChoice[];
  selected?: string;
  error?: string;
}

/** The consent page of the browser redirect flow. */
export function authorizePage(input: AuthorizePageInput): string {
  const scopes = input.scopes.length
    ? `<ul class="scopes">${input.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('')}</ul>`
    : '<p>Read your public profile.</p>';
  return page(
    input.brand,
    `Authorize ${input.appName}`,
    `<h1>Authorize ${escapeHtml(input.appName)}</h1>
${errorNote(input.error)}
<p><strong>${escapeHtml(input.appName)}</strong> wants to:</p>
${scopes}
<form method="post" action="${escapeHtml(input.action)}">
  <input type="hidden" name="request_id" value="${escapeHtml(input.requestId)}">
  <fieldset>
  <legend>Continue as</legend>
  ${identityChoices(input.identities, input.selected)}
  </fieldset>
  <div class="buttons">
    <button type="submit" name="action" value="cancel">Cancel</button>
    <button type="submit" name="action" value="authorize">Authorize</button>
  </div>
</form>
<p><small>You will be sent back to <code>${escapeHtml(input.redirectOrigin)}</code>.</small></p>`,
  );
}

/** A request the provider refuses without sending the browser anywhere (unknown client, unregistered redirect). */
export function errorPage(input: { brand: Brand; title: string; message: string }): string {
  return page(
    input.brand,
    input.title,
    `<h1>${escapeHtml(input.title)}</h1>
<p class="message error" role="alert">${escapeHtml(input.message)}</p>`,
  );
}

/** A round avatar with the name's initials, coloured by the user id. */
export function avatarSvg(name: string, userId: string, colors: readonly string[], size = 100): string {
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => [...part][0]!.toUpperCase())
    .join('');
  let hash = 0;
  for (const ch of userId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const color = colors[hash % colors.length];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">
<circle cx="50" cy="50" r="50" fill="${color}"/>
<text x="50" y="50" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="40" fill="#fff">${escapeHtml(initials)}</text>
</svg>
`;
}
