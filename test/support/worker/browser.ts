/**
 * What the browser-login tests share: a /login whose code message carries the "in the browser" button, and the
 * requests a browser makes with it (the confirmation page, its same-origin form).
 */
import { exports } from 'cloudflare:workers';
import { beforeEach, vi } from 'vitest';
import { clearDatabase } from './database.ts';
import { commandInteraction, freshUser, postInteraction, type TestUser } from './discord.ts';
import { runAlarm } from './login.ts';
import { facebook, ROUTES, type FakeNetwork } from './network.ts';
import { providers, serveMetadata } from './providers.ts';

export type ProviderId = 'facebook' | 'github' | 'google' | 'microsoft' | 'oidc';

/** Each test: an empty database, the providers' discovery documents served, and the Worker's logs muted. */
export function freshBrowserTestbed(bed: { net: () => FakeNetwork }): void {
  beforeEach(async () => {
    await clearDatabase();
    serveMetadata(bed.net());
    for (const level of ['log', 'warn', 'error'] as const) vi.spyOn(console, level).mockImplementation(() => {});
  });
}

const deviceRoute = (provider: ProviderId) => (provider === 'facebook' ? ROUTES.deviceLogin : providers[provider].deviceCode());
const deviceAnswer = (provider: ProviderId) => (provider === 'facebook' ? () => facebook.deviceCode() : providers[provider].device());

export interface BrowserButtonLogin {
  user: TestUser;
  token: string;
  browserUrl: string;
}

/** `/login provider:<id>`: the code message, and its "in the browser" button's URL. */
export async function loginWithBrowserButton(net: FakeNetwork, provider: ProviderId = 'facebook', user: TestUser = freshUser(provider)): Promise<BrowserButtonLogin> {
  const interaction = commandInteraction('login', user, { options: { provider } });
  await postInteraction(interaction);
  net.script(deviceRoute(provider), deviceAnswer(provider));
  await runAlarm(user);
  const edit = net.to(ROUTES.editOriginal).filter((r) => r.url.pathname.includes(`/${interaction.token}/`)).at(-1)!;
  const buttons = (edit.json as { components: Array<{ components: Array<{ label: string; url?: string }> }> }).components[0]!.components;
  const browser = buttons.find((b) => b.label.endsWith('in the browser'))!;
  return { user, token: interaction.token, browserUrl: browser.url! };
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** What a browser sends with the confirmation page's form: the site's own Origin. */
export const SAME_ORIGIN = { ...FORM, origin: 'https://bot.example', 'sec-fetch-site': 'same-origin' };

/** The button's URL without its query: where the page's form posts. */
export const startPath = (url: string) => url.split('?')[0]!;
export const ticketOf = (url: string) => new URL(url).searchParams.get('t')!;

export const get = (url: string, headers: Record<string, string> = {}) => exports.default.fetch(url, { headers, redirect: 'manual' });
export const post = (url: string, body: BodyInit, headers: Record<string, string> = SAME_ORIGIN) =>
  exports.default.fetch(url, { method: 'POST', body, headers, redirect: 'manual' });

/** The confirmation page's form, submitted: the redirect to the provider and this browser's cookie. */
export const postStart = (browserUrl: string) => post(startPath(browserUrl), new URLSearchParams({ t: ticketOf(browserUrl) }));
