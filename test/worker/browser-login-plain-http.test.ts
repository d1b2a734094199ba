/**
 * PUBLIC_BASE_URL must be https (plain http only on loopback) for everything built on it: on a plain-http public
 * host the browser login's bearer ticket would travel in clear text (the Discord button, the confirmation page, its
 * form) and an observer could finish the login with their own account. RFC 9700 §2.6: TLS for every redirect URI
 * other than loopback. The browser login answers "not set up" (503) there, as Linked Roles does.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { freshBrowserTestbed, loginWithBrowserButton, ticketOf } from '../support/worker/browser.ts';
import { useLoginTestbed } from '../support/worker/login.ts';

const bed = useLoginTestbed();
const HTTP_ENV = { ...env, PUBLIC_BASE_URL: 'http://bot.example' };

freshBrowserTestbed(bed);

/** A GitHub /login (GitHub accepts http redirect URIs), and its bearer ticket. */
async function githubTicket(): Promise<string> {
  return ticketOf((await loginWithBrowserButton(bed.net(), 'github')).browserUrl);
}

const fetchWith = (vars: object, url: string, init: RequestInit = {}) =>
  worker.fetch(new Request(url, { redirect: 'manual', ...init }) as never, vars as never, createExecutionContext());

it('Linked Roles refuses a plain-http PUBLIC_BASE_URL', async () => {
  expect((await fetchWith(HTTP_ENV, 'http://bot.example/linked-roles')).status).toBe(503);
});

it('the browser login is not offered on a plain-http, non-loopback PUBLIC_BASE_URL', async () => {
  const ticket = await githubTicket();
  const page = await fetchWith(HTTP_ENV, `http://bot.example/auth/github/start?t=${encodeURIComponent(ticket)}`);
  expect(page.status).toBe(503);

  // A network observer replays the ticket from curl (no Origin, no Sec-Fetch-Site).
  const started = await fetchWith(HTTP_ENV, 'http://bot.example/auth/github/start', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ t: ticket }),
  });
  expect(started.status).toBe(503);
});
