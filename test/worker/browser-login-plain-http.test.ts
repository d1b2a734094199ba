/**
 * PUBLIC_BASE_URL must be https (plain http only on loopback) for everything built on it: on a plain-http public
 * host the browser login's bearer ticket would travel in clear text (the Discord button, the confirmation page, its
 * form) and an observer could finish the login with their own account. RFC 9700 §2.6: TLS for every redirect URI
 * other than loopback. The browser login answers "not set up" (503) there, as Linked Roles does.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeEach, expect, it, vi } from 'vitest';
import worker from '../../src/index.ts';
import { clearDatabase } from '../support/worker/database.ts';
import { commandInteraction, freshUser, postInteraction } from '../support/worker/discord.ts';
import { runAlarm, useLoginTestbed } from '../support/worker/login.ts';
import { ROUTES } from '../support/worker/network.ts';
import { providers, serveMetadata } from '../support/worker/providers.ts';

const bed = useLoginTestbed();
const HTTP_ENV = { ...env, PUBLIC_BASE_URL: 'http://bot.example' };

beforeEach(async () => {
  await clearDatabase();
  serveMetadata(bed.net());
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  vi.spyOn(console, 'log').mockImplementation(() => {});
});

/** A GitHub /login (GitHub accepts http redirect URIs), and its bearer ticket. */
async function githubTicket(): Promise<string> {
  const user = freshUser('github');
  const interaction = commandInteraction('login', user, { options: { provider: 'github' } });
  await postInteraction(interaction);
  bed.net().script(providers.github.deviceCode(), providers.github.device());
  await runAlarm(user);
  const edit = bed.net().to(ROUTES.editOriginal).filter((r) => r.url.pathname.includes(`/${interaction.token}/`)).at(-1)!;
  const buttons = (edit.json as { components: Array<{ components: Array<{ label: string; url?: string }> }> }).components[0]!.components;
  return new URL(buttons.find((b) => b.label.endsWith('in the browser'))!.url!).searchParams.get('t')!;
}

const fetchWith = (vars: object, url: string, init: RequestInit = {}) =>
  worker.fetch(new Request(url, { redirect: 'manual', ...init }) as never, vars as never, createExecutionContext());

it('Linked Roles refuses a plain-http PUBLIC_BASE_URL', async () => {
  expect((await fetchWith(HTTP_ENV, 'http://bot.example/linked-roles')).status).toBe(503);
});

it('the browser login is not offered on a plain-http, non-loopback PUBLIC_BASE_URL', async () => {
  const ticket = await githubTicket();
  const page = await fetchWith(HTTP_ENV, `http://bot.example/auth/github/start?t=${encodeURIComponent(ticket)}`);
  // Today: 200, the confirmation page with a form posting the ticket to http://bot.example/auth/github/start.
  expect(page.status).toBe(503);

  // A network observer replays the ticket from curl (no Origin, no Sec-Fetch-Site).
  const started = await fetchWith(HTTP_ENV, 'http://bot.example/auth/github/start', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ t: ticket }),
  });
  // Today: 302 to GitHub with redirect_uri=http://bot.example/auth/github/callback and a fresh state and cookie.
  expect(started.status).toBe(503);
});
