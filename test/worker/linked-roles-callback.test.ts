/**
 * GET /linked-roles/callback: with the browser's cookie and an unused, unexpired state of ours, the code is
 * exchanged (form-encoded, client_id + client_secret, the exact redirect_uri), the user read from /oauth2/@me, the
 * grant stored encrypted and the role connection pushed; the page says as whom and what Discord now sees, or how
 * to get a link. Every bad input gets a clear 400 page (502 when Discord fails) with nothing stored or pushed.
 */
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase, everythingStored } from '../support/worker/database.ts';
import { advanceClock, T0, useLoginTestbed } from '../support/worker/login.ts';
import {
  APP,
  callback,
  CALLBACK,
  CLIENT_SECRET,
  connectionAnswer,
  discordUser,
  LINKED_ROLES_ROUTES as R,
  meAnswer,
  newTokens,
  oauthError,
  startedFlow,
  tokenAnswer,
  unauthorized,
} from '../support/worker/linked-roles.ts';
import { hang, json } from '../support/worker/network.ts';

const bed = useLoginTestbed();
const CODE = 'DiscordAuthCode0123456789abcdef';
let logged: string[];

beforeEach(async () => {
  await clearDatabase();
  logged = [];
  for (const level of ['log', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
  }
});
afterEach(() => vi.restoreAllMocks());

const grantRows = async () => (await env.DB.prepare('SELECT discord_user_id, ciphertext FROM discord_grants').all<{ discord_user_id: string; ciphertext: string }>()).results;

/** Discord answers the exchange, @me and the PUT as it does when all goes well. */
function discordAnswersWell(tokens = newTokens()) {
  bed.net().script(R.token, tokenAnswer(tokens));
  bed.net().script(R.me, meAnswer());
  bed.net().script(R.putConnection, connectionAnswer);
  return tokens;
}

async function completeFlow() {
  const { state, cookie } = await startedFlow();
  return { state, cookie, response: await callback({ code: CODE, state }, cookie) };
}

async function expectNothingStoredOrPushed() {
  expect(await grantRows()).toEqual([]);
  expect(bed.net().to(R.putConnection)).toEqual([]);
}

describe('the callback, when all is well', () => {
  it('exchanges the code exactly as Discord documents, reads @me with the new token, stores the grant, pushes, and says so', async () => {
    await linkAccount(env.DB, { discordUserId: discordUser.id, provider: 'github', subject: '583231', name: 'octocat', scopes: [], now: Date.UTC(2026, 0, 2) });
    await linkAccount(env.DB, { discordUserId: discordUser.id, provider: 'facebook', subject: '1060000000000001', name: 'Alice', scopes: [], now: Date.UTC(2025, 5, 1, 12) });
    const tokens = discordAnswersWell();
    const { response } = await completeFlow();

    const [exchange] = bed.net().to(R.token);
    expect(exchange!.url.href).toBe('https://discord.test/api/v10/oauth2/token');
    expect(exchange!.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(exchange!.params)).toEqual({
      grant_type: 'authorization_code',
      code: CODE,
      redirect_uri: CALLBACK,
      client_id: APP,
      client_secret: CLIENT_SECRET,
    });
    const [me] = bed.net().to(R.me);
    expect(me!.url.href).toBe('https://discord.test/api/v10/oauth2/@me');
    expect(me!.headers.get('authorization')).toBe(`Bearer ${tokens.access}`);

    const [put] = bed.net().to(R.putConnection);
    expect(put!.url.href).toBe(`https://discord.test/api/v10/users/@me/applications/${APP}/role-connection`);
    expect(put!.headers.get('authorization')).toBe(`Bearer ${tokens.access}`);
    expect(put!.headers.get('content-type')).toBe('application/json');
    expect(put!.json).toEqual({
      platform_name: 'Linked accounts',
      platform_username: 'Facebook, GitHub',
      metadata: { facebook: '1', github: '1', google: '0', microsoft: '0', linked_since: '2025-06-01T12:00:00.000Z' },
    });

    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('<title>Verified</title>');
    expect(page).toContain('<strong>Alice &lt;Liddell&gt;</strong> (@alice)');
    expect(page).toContain('<li>Facebook account linked: <strong>yes</strong></li>');
    expect(page).toContain('<li>Google account linked: <strong>no</strong></li>');
    expect(page).toContain('<li>Linked since: <strong>2025-06-01</strong></li>');

    // Stored, encrypted: no token anywhere in the database.
    expect((await grantRows()).map((row) => row.discord_user_id)).toEqual([discordUser.id]);
    const everything = JSON.stringify(await everythingStored());
    for (const secret of [tokens.access, tokens.refresh, CODE, CLIENT_SECRET]) expect(everything).not.toContain(secret);
    for (const secret of [tokens.access, tokens.refresh, CODE, CLIENT_SECRET]) expect(logged.join('\n')).not.toContain(secret);
  });

  it('a user with no link yet is told how to get one, and Discord gets every boolean "0" and no linked_since', async () => {
    discordAnswersWell();
    const { response } = await completeFlow();
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('Connected: now link an account');
    expect(page).toContain('Run /login in Discord; your roles update by themselves when it succeeds.');
    expect(bed.net().to(R.putConnection)[0]!.json).toEqual({
      platform_name: 'Linked accounts',
      metadata: { facebook: '0', github: '0', google: '0', microsoft: '0' },
    });
    expect(await grantRows()).toHaveLength(1);
  });

  it('every page: strict CSP, no referrer, not cached, no scripts, and the state cookie cleared', async () => {
    discordAnswersWell();
    const { response } = await completeFlow();
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('set-cookie')).toBe('linked_roles_state=; Max-Age=0; Path=/linked-roles/callback; HttpOnly; SameSite=Lax; Secure');
    expect(await response.text()).not.toMatch(/<script|<img|<iframe|<link|src=/i);
  });

  it('connecting again replaces the stored grant and revokes nothing (revoking would end the new grant too)', async () => {
    discordAnswersWell();
    await completeFlow();
    const first = (await grantRows())[0]!.ciphertext;
    discordAnswersWell();
    expect((await completeFlow()).response.status).toBe(200);
    const rows = await grantRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.ciphertext).not.toBe(first);
    expect(bed.net().to(R.revoke)).toEqual([]);
  });

  it('waits out a short 429 on the push and tries once more', async () => {
    bed.net().script(R.token, tokenAnswer());
    bed.net().script(R.me, meAnswer());
    bed.net().script(R.putConnection, () => json(429, { message: 'You are being rate limited.', retry_after: 0.05, global: false }), connectionAnswer);
    const { response } = await completeFlow();
    expect(response.status).toBe(200);
    expect(bed.net().to(R.putConnection)).toHaveLength(2);
  });

  it('when Discord refuses the push, the grant is kept and the page says the roles are not updated yet (502)', async () => {
    bed.net().script(R.token, tokenAnswer());
    bed.net().script(R.me, meAnswer());
    bed.net().script(R.putConnection, () => json(400, { message: 'Invalid Form Body', code: 50035, errors: { metadata: { github: { _errors: [{ code: 'X', message: 'unknown key' }] } } } }));
    const { response } = await completeFlow();
    expect(response.status).toBe(502);
    expect(await response.text()).toContain('Connected, but not updated yet');
    expect(await grantRows()).toHaveLength(1);
    expect(logged.join('\n')).toContain('code 50035');
  });
});

describe('the callback refuses bad input: 400, nothing stored, nothing sent to Discord', () => {
  /** `keepsCookie`: an answer that is not this browser's must not end the authorization this browser has going. */
  async function expectRefused(response: Response, title: string, { keepsCookie = false } = {}) {
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain(`<title>${title}</title>`);
    expect(page).toContain('open Linked Roles from the server');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    if (keepsCookie) expect(response.headers.get('set-cookie')).toBeNull();
    else expect(response.headers.get('set-cookie')).toMatch(/^linked_roles_state=; Max-Age=0;/);
    expect(bed.net().requests).toEqual([]);
    await expectNothingStoredOrPushed();
  }

  it('a missing cookie (another browser, cookies blocked)', async () => {
    const { state } = await startedFlow();
    await expectRefused(await callback({ code: CODE, state }), 'Not the browser that started', { keepsCookie: true });
  });

  it("a state that is not this browser's (an attacker's link: their state, the victim's cookie)", async () => {
    const mine = await startedFlow();
    const theirs = await startedFlow();
    await expectRefused(await callback({ code: CODE, state: theirs.state }, mine.cookie), 'Not the browser that started', { keepsCookie: true });
  });

  it("an error answer without this browser's state (a link someone made) leaves its authorization going", async () => {
    const { cookie } = await startedFlow();
    await expectRefused(await callback({ error: 'access_denied' }, cookie), 'This link is incomplete', { keepsCookie: true });
    await expectRefused(await callback({ error: 'access_denied', state: 'someone-elses' }, cookie), 'Not the browser that started', { keepsCookie: true });
  });

  it('a forged state, even with a matching cookie: not signed by the bot', async () => {
    const { state } = await startedFlow();
    const [nonce, expiry, mac] = state.split('.');
    const forgedNonce = `${nonce!.slice(0, -1)}${nonce!.endsWith('A') ? 'B' : 'A'}`;
    for (const forged of [`${forgedNonce}.${expiry}.${mac}`, `${nonce}.${(T0 + 3_600_000).toString(36)}.${mac}`, `${nonce}.${expiry}.${'A'.repeat(43)}`]) {
      await expectRefused(await callback({ code: CODE, state: forged }, `linked_roles_state=${forged}`), 'This link is not valid');
    }
    await expectRefused(await callback({ code: CODE, state: 'x' }, 'linked_roles_state=x'), 'This link is not valid');
  });

  it('a replayed state: the first use works, the second is refused without asking Discord again', async () => {
    discordAnswersWell();
    const { state, cookie, response } = await completeFlow();
    expect(response.status).toBe(200);
    const requestsBefore = bed.net().requests.length;
    const replay = await callback({ code: CODE, state }, cookie);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('<title>This link was already used</title>');
    expect(bed.net().requests).toHaveLength(requestsBefore);
  });

  it('two callbacks racing with one state: exactly one goes through', async () => {
    discordAnswersWell();
    const { state, cookie } = await startedFlow();
    const answers = await Promise.all([callback({ code: CODE, state }, cookie), callback({ code: CODE, state }, cookie)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    expect(bed.net().to(R.token)).toHaveLength(1);
  });

  it('an expired state: 10 minutes after /linked-roles it no longer works; a moment before, it does', async () => {
    const late = await startedFlow();
    advanceClock(10 * 60_000);
    await expectRefused(await callback({ code: CODE, state: late.state }, late.cookie), 'This link has expired');

    const inTime = await startedFlow();
    advanceClock(10 * 60_000 - 1);
    discordAnswersWell();
    expect((await callback({ code: CODE, state: inTime.state }, inTime.cookie)).status).toBe(200);
  });

  it('error=access_denied (the user pressed Cancel on Discord)', async () => {
    const { state, cookie } = await startedFlow();
    const response = await callback({ error: 'access_denied', error_description: 'The resource owner or authorization server denied the request', state }, cookie);
    await expectRefused(response, 'Nothing was changed');
  });

  it('another error from Discord is named (escaped)', async () => {
    const { state, cookie } = await startedFlow();
    const response = await callback({ error: 'invalid_scope<b>', state }, cookie);
    expect(await response.clone().text()).toContain('<code>invalid_scope&lt;b&gt;</code>');
    await expectRefused(response, 'Discord did not authorize the bot');
  });

  it('no code, or no state', async () => {
    const { state, cookie } = await startedFlow();
    await expectRefused(await callback({ state }, cookie), 'This link is incomplete');
    await expectRefused(await callback({ code: CODE }, cookie), 'This link is incomplete', { keepsCookie: true });
  });
});

describe('the callback when the exchange or @me fails', () => {
  async function failingExchange(answer: Parameters<ReturnType<typeof bed.net>['script']>[1]) {
    bed.net().script(R.token, answer);
    const { response } = await completeFlow();
    return response;
  }

  it('invalid_grant (a used or expired code): 400, nothing stored or pushed', async () => {
    const response = await failingExchange(oauthError(400, 'invalid_grant'));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('This authorization was not accepted');
    await expectNothingStoredOrPushed();
  });

  it.each([
    ['401 invalid_client (a wrong client secret)', oauthError(401, 'invalid_client'), 'HTTP 401 (invalid_client): Discord refused the client'],
    ['500', () => json(500, { message: '500: Internal Server Error', code: 0 }), 'HTTP 500'],
    ['a body that is not a token answer', () => json(200, { access_token: 'x' }), 'not a token answer'],
    ['a grant without role_connections.write', tokenAnswer(newTokens(), { scope: 'identify' }), 'lacks role_connections.write'],
    ['a timeout', hang, 'no response (timed out after 5000 ms)'],
  ])('%s: 502, logged without secrets, nothing stored or pushed', async (_what, answer, logLine) => {
    const response = await failingExchange(answer);
    expect(response.status).toBe(502);
    expect(await response.text()).toContain('Discord did not complete the connection. Nothing was stored.');
    await expectNothingStoredOrPushed();
    expect(logged.join('\n')).toContain(logLine);
    for (const secret of [CODE, CLIENT_SECRET]) expect(logged.join('\n')).not.toContain(secret);
  }, 15_000);

  it('an error answer that echoes the code and secret back does not put them in a log line', async () => {
    await failingExchange(() => json(403, { message: `forbidden: code=${CODE} secret=${CLIENT_SECRET}`, code: 50001 }));
    expect(logged.join('\n')).toContain('HTTP 403');
    for (const secret of [CODE, CLIENT_SECRET]) expect(logged.join('\n')).not.toContain(secret);
  });

  it('@me refused or failing: 502, nothing stored or pushed', async () => {
    for (const answer of [unauthorized, () => json(503, { message: 'unavailable' })]) {
      bed.net().script(R.token, tokenAnswer());
      bed.net().script(R.me, answer);
      const { response } = await completeFlow();
      expect(response.status).toBe(502);
      expect(await response.text()).toContain('Discord did not complete the connection. Nothing was stored.');
      await expectNothingStoredOrPushed();
    }
  });
});
