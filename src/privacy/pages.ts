/**
 * GET /privacy (the privacy policy Facebook and Discord ask for) and GET /facebook/deletion?code=... (the status
 * page a data-deletion request's answer points to). Plain, small, self-contained HTML.
 */
import { siteSetting, type SiteSettings } from '../config.ts';
import type { Env } from '../env.ts';
import { FACEBOOK_APP_SETTINGS_URL } from '../facebook/permissions.ts';
import { html, htmlPage, Html } from '../html.ts';
import { DELETION_REQUEST_RETENTION_DAYS, findDeletionRequest, type DeletionRequest } from '../links/deletion-requests.ts';


const EMAIL = /^[^\s@<>"'()]+@[^\s@<>"'()]+\.[^\s@<>"'()]+$/;

/** The operator's contact as a link when it is an e-mail address or an https URL, else as text. */
function contact(value: string): Html {
  if (EMAIL.test(value)) return html`<a href="mailto:${value}">${value}</a>`;
  if (/^https:\/\/[^\s"'<>]+$/.test(value)) return html`<a href="${value}">${value}</a>`;
  return html`${value}`;
}

function privacyBody(config: SiteSettings): Html {
  const settings = html`<a href="${FACEBOOK_APP_SETTINGS_URL}">facebook.com/settings?tab=applications</a>`;
  return html`<p>This Discord bot is run by ${config.operatorName}. With its <code>/login</code> command you link your
Discord account to your Facebook account. This page says what the bot keeps about you, why, for how long, and how
to have it deleted.</p>

<h2>What is stored</h2>
<p>For each Discord account that is linked, one record with:</p>
<ul>
<li>your Discord user id;</li>
<li>your Facebook user id for this app (an app-scoped id: Facebook gives each app a different id for the same person);</li>
<li>your Facebook name, as it was at your last login;</li>
<li>the Facebook permissions you granted (for example <code>public_profile</code>);</li>
<li>when you linked the account.</li>
</ul>
<p>Your Facebook access token is <strong>not</strong> stored: right after you log in the bot uses it once to read
your id, name and picture, then discards it.</p>
<p>While a <code>/login</code> is in progress, and until your reply in Discord shows how it ended (15 minutes at
most), the bot also holds what it needs for that: the code Facebook issued for the login, Discord's token for
editing the reply, and that final reply, which shows your Facebook name and picture. It deletes them then.</p>
<p>If you connect <strong>Linked Roles</strong> (from a server's role menu in Discord), the bot also keeps your
Discord authorization of this app: Discord's access token and refresh token, with their expiry and scopes
(<code>identify role_connections.write</code>), encrypted (AES-256-GCM) under a key only the bot holds. It uses
them for one thing: to update what your role connection tells Discord (which kinds of account you linked, and since
when) whenever your links change, so that servers' role requirements stay current without you coming back.</p>
<p>Nothing else from Facebook or Discord is stored: not your e-mail address, your Discord username or your
messages.</p>

<h2>Why</h2>
<p>To know which Facebook account your Discord account is linked to: <code>/whoami</code> shows it to you (in a
message only you can see), and <code>/logout</code> uses it to remove the app's access at Facebook. The data is not
shared with anyone or used for anything else.</p>

<h2>For how long</h2>
<p>Until you remove the link (see below), or link another Facebook account, which replaces it. Nothing about a
removed link is kept. The Discord authorization for Linked Roles is kept until you remove every link with
<code>/logout</code>, or until Discord refuses it because you removed the app from your Discord account; it is
then deleted.</p>

<h2>How to delete it</h2>
<ul>
<li>In Discord, run <code>/logout</code>: the bot deletes your record at once and asks Facebook to remove the app's
access to your account.</li>
<li>On Facebook, remove this app at ${settings}: Facebook tells the bot, which deletes your record. If you also send
a data-deletion request there, Facebook shows you a confirmation code and a link to a page with the request's
status.</li>
</ul>
<ul>
<li>In Discord, under <strong>User Settings › Authorized Apps</strong>, remove this app: its Discord authorization
stops working at once, and the bot deletes its copy the next time it would use it.</li>
</ul>
<p>For a data-deletion request the bot keeps only its confirmation code, its time and its status, for
${DELETION_REQUEST_RETENTION_DAYS} days, so that the status page keeps working. That record holds no Facebook id and
no name.</p>

<h2>Hosting</h2>
<p>The bot runs on Cloudflare Workers, and its data is stored in Cloudflare D1. Cloudflare keeps short-lived
technical logs of requests. The bot writes no names and no Facebook ids into its logs.</p>

<h2>Contact</h2>
<p>${config.operatorName}: ${contact(config.operatorContact)}</p>`;
}

/** What a page that needs the site's settings answers while they are missing: a 503 that names nothing secret. */
export const siteNotSetUp = () =>
  htmlPage(
    503,
    'Not set up yet',
    html`<p>This page is not available yet: the bot's operator has not finished setting it up. The operator can see
what is missing in the Worker logs.</p>`,
    { 'cache-control': 'no-store', 'retry-after': '3600' },
  );

export function privacyPage(env: Env): Response {
  const site = siteSetting(env);
  if (!site.ok) return siteNotSetUp();
  return htmlPage(200, 'Privacy policy', privacyBody(site.value));
}

function statusBody(request: DeletionRequest): Html {
  const received = new Date(request.requestedAtMs).toUTCString();
  switch (request.status) {
    case 'completed':
      return html`<p>Confirmation code: <code>${request.confirmationCode}</code></p>
<p>Received: ${received}</p>
<p><strong>Status: completed.</strong> Everything this bot held about the Facebook account that sent this request
was deleted when the request arrived. Nothing about it remains, and this record does not say who it was.</p>
<p>This page stays available for ${DELETION_REQUEST_RETENTION_DAYS} days after the request.</p>`;
  }
}

/** GET /facebook/deletion?code=...: 200 with the status, 404 for a code the bot does not know. */
export async function deletionStatusPage(request: Request, env: Env): Promise<Response> {
  const code = new URL(request.url).searchParams.get('code');
  const noStore = { 'cache-control': 'no-store' };
  if (!code) {
    return htmlPage(400, 'Missing confirmation code', html`<p>Add the confirmation code Facebook gave you to the address:
<code>?code=…</code></p>`, noStore);
  }
  const found = await findDeletionRequest(env.DB, code);
  if (!found) {
    return htmlPage(404, 'Unknown confirmation code', html`<p>This bot has no data-deletion request with that
confirmation code. Check that the address is complete. Requests are listed here for
${DELETION_REQUEST_RETENTION_DAYS} days.</p>`, noStore);
  }
  return htmlPage(200, 'Data deletion request', statusBody(found), noStore);
}
