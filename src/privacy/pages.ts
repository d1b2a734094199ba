/**
 * GET /privacy (the privacy policy Facebook and Discord ask for) and GET /facebook/deletion?code=... (the status
 * page a data-deletion request's answer points to). Plain, small, self-contained HTML, in the browser's language.
 */
import { siteSetting, type SiteSettings } from '../config.ts';
import type { Env } from '../env.ts';
import { FACEBOOK_APP_SETTINGS_URL } from '../facebook/permissions.ts';
import { html, htmlPage, htmlText, Html } from '../html.ts';
import type { Translator } from '../i18n/catalog.ts';
import { pageTranslator } from '../i18n/locales.ts';
import { DELETION_REQUEST_RETENTION_DAYS, findDeletionRequest, type DeletionRequest } from '../links/deletion-requests.ts';

const EMAIL = /^[^\s@<>"'()]+@[^\s@<>"'()]+\.[^\s@<>"'()]+$/;
const NO_STORE = { 'cache-control': 'no-store' };

/** The operator's contact as a link when it is an e-mail address or an https URL, else as text. */
function contact(value: string): Html {
  if (EMAIL.test(value)) return html`<a href="mailto:${value}">${value}</a>`;
  if (/^https:\/\/[^\s"'<>]+$/.test(value)) return html`<a href="${value}">${value}</a>`;
  return html`${value}`;
}

function privacyBody(t: Translator, config: SiteSettings): Html {
  const facebookSettings = html`<a href="${FACEBOOK_APP_SETTINGS_URL}">facebook.com/settings?tab=applications</a>`;
  const items = t.items('privacy.stored.items').map((item) => html`<li>${item}</li>`);
  return html`<p>${t.t('privacy.intro', { operator: config.operatorName })}</p>
<h2>${t.t('privacy.stored')}</h2>
<p>${t.t('privacy.stored.intro')}</p>
<ul>${items}</ul>
<p>${t.t('privacy.tokens')}</p>
<p>${t.t('privacy.inProgress')}</p>
<p>${t.t('privacy.linkedRoles')}</p>
<p>${t.t('privacy.nothingElse')}</p>
<h2>${t.t('privacy.why')}</h2>
<p>${t.t('privacy.why.text')}</p>
<h2>${t.t('privacy.howLong')}</h2>
<p>${t.t('privacy.howLong.text')}</p>
<h2>${t.t('privacy.delete')}</h2>
<ul>
<li>${t.t('privacy.delete.logout')}</li>
<li>${htmlText(t.t('privacy.delete.facebook'), { link: facebookSettings })}</li>
<li>${t.t('privacy.delete.discord')}</li>
</ul>
<p>${t.t('privacy.deletionRecords', { days: DELETION_REQUEST_RETENTION_DAYS })}</p>
<h2>${t.t('privacy.hosting')}</h2>
<p>${t.t('privacy.hosting.text')}</p>
<h2>${t.t('privacy.contact')}</h2>
<p>${config.operatorName}: ${contact(config.operatorContact)}</p>`;
}

/** What a page that needs the site's settings answers while they are missing: a 503 that names nothing secret. */
export const siteNotSetUp = (t: Translator) =>
  htmlPage(503, t.t('page.notSetUp.title'), html`<p>${t.t('page.notSetUp.text')}</p>`, { ...NO_STORE, 'retry-after': '3600' }, t.locale);

export function privacyPage(request: Request, env: Env): Response {
  const t = pageTranslator(request);
  const site = siteSetting(env);
  if (!site.ok) return siteNotSetUp(t);
  return htmlPage(200, t.t('privacy.title'), privacyBody(t, site.value), {}, t.locale);
}

function statusBody(t: Translator, request: DeletionRequest): Html {
  const received = new Intl.DateTimeFormat(t.locale, { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' }).format(new Date(request.requestedAtMs));
  switch (request.status) {
    case 'completed':
      return html`<p>${htmlText(t.t('deletion.code'), { code: html`<code>${request.confirmationCode}</code>` })}</p>
<p>${t.t('deletion.received', { date: received })}</p>
<p><strong>${t.t('deletion.completed')}</strong></p>
<p>${t.t('deletion.kept', { days: DELETION_REQUEST_RETENTION_DAYS })}</p>`;
  }
}

/** GET /facebook/deletion?code=...: 200 with the status, 404 for a code the bot does not know. */
export async function deletionStatusPage(request: Request, env: Env): Promise<Response> {
  const t = pageTranslator(request);
  const code = new URL(request.url).searchParams.get('code');
  if (!code) return htmlPage(400, t.t('deletion.missing.title'), html`<p>${t.t('deletion.missing.text')}</p>`, NO_STORE, t.locale);
  const found = await findDeletionRequest(env.DB, code);
  if (!found) {
    return htmlPage(404, t.t('deletion.unknown.title'), html`<p>${t.t('deletion.unknown.text', { days: DELETION_REQUEST_RETENTION_DAYS })}</p>`, NO_STORE, t.locale);
  }
  return htmlPage(200, t.t('deletion.title'), statusBody(t, found), NO_STORE, t.locale);
}
