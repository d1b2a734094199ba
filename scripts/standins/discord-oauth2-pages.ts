/**
 * The stand-in's discord.com/oauth2/authorize pages in Discord's look: the consent page ("<App> wants to access
 * your account"), the error page, and the "nobody is logged in" page. Self-contained HTML (inline CSS and SVG),
 * nothing loaded from elsewhere. Kept apart from the OAuth2 logic so a playground can restyle them.
 */
import type { DiscordUser } from './discord-payloads.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** What the consent page says a scope lets the app do, in Discord's words where known. */
const SCOPE_TEXT: Record<string, string> = {
  identify: 'Access your username, avatar, and banner',
  email: 'Access your email address',
  connections: 'Access your third-party connections',
  guilds: 'Know what servers you\u2019re in',
  'guilds.join': 'Join servers for you',
  'guilds.members.read': 'Read your member info (nickname, avatar, roles, etc...) for servers you belong to',
  'role_connections.write': 'Update your connection and metadata for this app',
  'gdm.join': 'Join group DMs for you',
  'dm_channels.read': 'See information about your DMs and group DMs',
  'relationships.read': 'Access your friends list',
  'activities.read': 'Fetch data from your \u201cNow Playing/Recently Played\u201d list',
  'activities.write': 'Update your activity',
  'applications.builds.read': 'Read build data for your applications',
  'applications.builds.upload': 'Upload and update builds for your applications',
  'applications.entitlements': 'Read entitlements for your applications',
  'applications.store.update': 'Read and update store data for your applications',
  'applications.commands.permissions.update': 'Update command permissions in servers you manage',
  'messages.read': 'Read all messages from all channels in your Discord client',
  rpc: 'Control your Discord client',
  'rpc.activities.write': 'Update your activity in your Discord client',
  'rpc.notifications.read': 'Read your notifications in your Discord client',
  'rpc.voice.read': 'Read your voice settings and listen for voice events',
  'rpc.voice.write': 'Update your voice settings',
  voice: 'Connect to voice on your behalf and see all the voice members',
};

const STYLE = `
  :root { color-scheme: dark; }
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         font: 16px/1.375 "gg sans", "Noto Sans", "Helvetica Neue", Helvetica, Arial, sans-serif;
         background: #5865f2 linear-gradient(135deg, #404eed 0%, #5865f2 60%, #7983f5 100%); color: #dbdee1; }
  .brand { position: fixed; top: 1.2rem; left: 1.5rem; color: #fff; font-weight: 800; font-size: 1.4rem; letter-spacing: .02em; }
  main { width: 100%; max-width: 25rem; box-sizing: border-box; margin: 4rem 1rem; background: #313338; border-radius: 8px;
         box-shadow: 0 8px 16px rgba(0,0,0,.24); overflow: hidden; }
  .content { padding: 2rem 1rem 1rem; }
  .avatars { display: flex; align-items: center; justify-content: center; gap: .6rem; margin-bottom: 1rem; }
  .avatars svg { width: 80px; height: 80px; border-radius: 50%; }
  .dots { display: flex; gap: 4px; }
  .dots span { width: 4px; height: 4px; border-radius: 50%; background: #80848e; }
  .eyebrow { text-align: center; text-transform: uppercase; font-size: .75rem; font-weight: 700; color: #b5bac1; margin: 0; }
  h1 { text-align: center; font-size: 1.5rem; color: #f2f3f5; margin: .2rem 0 .2rem; }
  .sub { text-align: center; color: #b5bac1; margin: 0 0 1rem; }
  .signed-in { text-align: center; font-size: .875rem; color: #b5bac1; margin: 0 0 1rem; }
  .signed-in strong { color: #f2f3f5; }
  details { text-align: center; font-size: .875rem; margin: -.6rem 0 1rem; }
  summary { color: #00a8fc; cursor: pointer; display: inline; }
  select { background: #1e1f22; color: #dbdee1; border: 0; border-radius: 4px; padding: .3rem; margin-top: .4rem; }
  h2 { font-size: .75rem; text-transform: uppercase; color: #b5bac1; margin: 1rem 0 .5rem; border-top: 1px solid #3f4147; padding-top: 1rem; }
  ul.scopes { list-style: none; padding: 0; margin: 0 0 1rem; }
  ul.scopes li { display: flex; gap: .6rem; align-items: center; padding: .5rem 0; border-bottom: 1px solid #3f4147; color: #dbdee1; }
  .check { flex: none; width: 22px; height: 22px; border-radius: 50%; background: #23a55a; color: #fff; display: inline-flex;
           align-items: center; justify-content: center; font-size: .8rem; font-weight: 700; }
  ul.notes { list-style: none; padding: 0; margin: 0; font-size: .75rem; color: #949ba4; }
  ul.notes li { padding: .25rem 0; }
  ul.notes strong { color: #dbdee1; overflow-wrap: anywhere; }
  footer { display: flex; justify-content: space-between; align-items: center; padding: 1rem; background: #2b2d31; }
  button { font: inherit; font-size: .875rem; font-weight: 500; border: 0; border-radius: 3px; padding: .6rem 1.4rem; cursor: pointer; }
  button[value=cancel] { background: none; color: #f2f3f5; padding-left: 0; }
  button[value=cancel]:hover { text-decoration: underline; }
  button[value=authorize] { background: #5865f2; color: #fff; }
  button[value=authorize]:hover { background: #4752c4; }
  .error-title { color: #f23f43; }
  .message { text-align: center; color: #dbdee1; padding: 0 1rem 1.5rem; }
`;

const COLORS = ['#5865f2', '#eb459e', '#57f287', '#fee75c', '#ed4245', '#3ba55c'];

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => [...part][0]!.toUpperCase())
    .join('');
}

/** A round avatar with initials, colored by the id, as inline SVG. */
function avatar(name: string, id: string): string {
  const digits = /^\d+$/.test(id) ? BigInt(id) : 0n;
  const color = COLORS[Number(digits % BigInt(COLORS.length))];
  return `<svg viewBox="0 0 80 80" role="img" aria-label="${escapeHtml(name)}"><circle cx="40" cy="40" r="40" fill="${color}"/>` +
    `<text x="40" y="40" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="30" fill="#fff">${escapeHtml(initials(name))}</text></svg>`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><div class="brand" aria-hidden="true">Discord</div><main>${body}</main></body>
</html>
`;
}

const displayName = (user: DiscordUser) => user.globalName ?? user.username;

export interface ConsentPageInput {
  appName: string;
  applicationId: string;
  /** Who is logged in to Discord in this browser. */
  user: DiscordUser;
  /** Everyone else the stand-in knows, offered under "Not you?". */
  otherUsers: readonly DiscordUser[];
  scopes: readonly string[];
  redirectUri: string;
  /** The authorize request's parameters, posted back with the decision. */
  params: Record<string, string>;
}

/** The consent page: the app, the acting user, what the scopes allow, where the user goes next, Authorize / Cancel. */
export function consentPage(input: ConsentPageInput): string {
  const { appName, user } = input;
  const hidden = Object.entries(input.params)
    .filter(([key]) => key !== 'action' && key !== 'user_id')
    .map(([key, value]) => `<input type="hidden" name="${escapeHtml(key)}" value="${escapeHtml(value)}">`)
    .join('\n    ');
  const scopes = input.scopes
    .map((scope) => `<li><span class="check" aria-hidden="true">\u2713</span>${escapeHtml(SCOPE_TEXT[scope] ?? scope)}</li>`)
    .join('\n      ');
  const switcher =
    input.otherUsers.length === 0
      ? `<input type="hidden" name="user_id" value="${escapeHtml(user.id)}">`
      : `<details><summary>Not you?</summary><br><label>Continue as <select name="user_id">` +
        [user, ...input.otherUsers]
          .map((candidate) => `<option value="${escapeHtml(candidate.id)}"${candidate.id === user.id ? ' selected' : ''}>${escapeHtml(displayName(candidate))} (@${escapeHtml(candidate.username)})</option>`)
          .join('') +
        `</select></label></details>`;
  let origin = input.redirectUri;
  try {
    origin = new URL(input.redirectUri).origin;
  } catch {
    // Shown as given.
  }
  return page(
    `Discord | Authorize access to your account`,
    `<form method="post" action="/oauth2/authorize">
    ${hidden}
  <div class="content">
    <div class="avatars" aria-hidden="true">${avatar(appName, input.applicationId)}<div class="dots"><span></span><span></span><span></span></div>${avatar(displayName(user), user.id)}</div>
    <p class="eyebrow">An external application</p>
    <h1>${escapeHtml(appName)}</h1>
    <p class="sub">${escapeHtml(appName)} wants to access your account</p>
    <p class="signed-in">Signed in as <strong>${escapeHtml(displayName(user))}</strong> (@${escapeHtml(user.username)})</p>
    ${switcher}
    <h2>This will allow the developer of ${escapeHtml(appName)} to:</h2>
    <ul class="scopes">
      ${scopes}
    </ul>
    <ul class="notes">
      <li>Once you authorize, you will be redirected outside of Discord to: <strong>${escapeHtml(origin)}</strong></li>
      <li>The developer of ${escapeHtml(appName)}'s privacy policy and terms of service apply to this application.</li>
      <li>This application <strong>cannot</strong> read your messages or send messages as you.</li>
    </ul>
  </div>
  <footer>
    <button type="submit" name="action" value="cancel">Cancel</button>
    <button type="submit" name="action" value="authorize">Authorize</button>
  </footer>
</form>`,
  );
}

/** An authorize link Discord will not act on (unknown client, unregistered redirect_uri): never a redirect. */
export function oauthErrorPage(title: string, text: string): string {
  return page(`Discord | ${title}`, `<div class="content"><h1 class="error-title" role="alert">${escapeHtml(title)}</h1></div>
<p class="message">${escapeHtml(text)}</p>`);
}

/** Nobody is logged in to the stand-in's Discord in this browser. */
export function notLoggedInPage(): string {
  return page('Discord | Log in', `<div class="content"><h1>Welcome back!</h1></div>
<p class="message">Nobody is logged in to this Discord stand-in. Choose the acting user first (setWebUser() on the stand-in).</p>`);
}
