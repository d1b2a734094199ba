/**
 * Linked Roles stay current without the user coming back: after a login, a relink, a /logout and Facebook's
 * deauthorize and data-deletion callbacks, the user's LoginSession pushes the new metadata with the stored grant,
 * after the interaction is answered (its alarm), retrying Discord's 429 and 5xx. A /logout of the last link
 * clears every boolean and then forgets the grant (deleted and revoked). A member with no link yet can finish on
 * the Linked Roles page itself: its "Continue with" buttons start a browser login.
 */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase, linkOf } from '../support/worker/database.ts';
import { commandInteraction, freshUser, postInteraction, type TestUser } from '../support/worker/discord.ts';
import { facebookPayload, postSignedRequest, signedRequest } from '../support/worker/facebook.ts';
import { advanceClock, loginShowingCode, runAlarm, scheduledAlarm, storedState, titlesFor, useLoginTestbed } from '../support/worker/login.ts';
import { LINKED_ROLES_ROUTES as R, connectionAnswer, discordUser, meAnswer, startedFlow, callback, storedGrant, storeGrant, tokenAnswer } from '../support/worker/linked-roles.ts';
import { facebook, json, ROUTES } from '../support/worker/network.ts';
import { providers, serveMetadata } from '../support/worker/providers.ts';

const bed = useLoginTestbed();
const DAY = 86_400_000;
const ADA_ID = '10229876543210987';

beforeEach(async () => {
  await clearDatabase();
  for (const level of ['log', 'warn', 'error'] as const) vi.spyOn(console, level).mockImplementation(() => {});
  bed.net().always(R.putConnection, () => connectionAnswer());
});

const pushes = () => bed.net().to(R.putConnection).map((request) => (request.json as { metadata: Record<string, string> }).metadata);

/** A /login for `user` approved on Facebook; its alarm runs through the final message (and the push). */
async function approvedLogin(user?: TestUser) {
  const net = bed.net();
  const login = user ? await (async () => {
    await postInteraction(commandInteraction('login', user));
    net.script(ROUTES.deviceLogin, () => facebook.deviceCode());
    await runAlarm(user);
    return { user };
  })() : await loginShowingCode(net);
  net.script(ROUTES.loginStatus, facebook.token);
  net.script(ROUTES.me, facebook.profile);
  advanceClock(5_000);
  await runAlarm(login.user);
  return login.user;
}

describe('the login object keeps Linked Roles current', () => {
  it('after a login: the metadata says Facebook is linked, pushed after the "Logged in as" message', async () => {
    const user = freshUser();
    await storeGrant(user.id, Date.now() + 7 * DAY);
    await approvedLogin(user);
    expect(pushes()).toEqual([{ facebook: '1', github: '0', google: '0', microsoft: '0', linked_since: new Date(Date.now()).toISOString() }]);
    const order = bed.net().requests.map((r) => (r.url.pathname.endsWith('/role-connection') ? 'push' : r.url.pathname.endsWith('@original') ? 'edit' : 'other'));
    expect(order.lastIndexOf('push')).toBeGreaterThan(order.lastIndexOf('edit'));
  });

  it('a user who never opened Linked Roles: nothing is pushed, and the login leaves nothing behind', async () => {
    const user = await approvedLogin();
    expect(pushes()).toEqual([]);
    expect(await scheduledAlarm(user)).toBeNull();
  });

  it('a 429 from Discord is retried after the time it asks for', async () => {
    const user = freshUser();
    await storeGrant(user.id, Date.now() + 7 * DAY);
    bed.net().script(R.putConnection, () => json(429, { message: 'You are being rate limited.', retry_after: 30, global: false }));
    await approvedLogin(user);
    expect(await scheduledAlarm(user)).toBe(Date.now() + 30_000);
    advanceClock(30_000);
    await runAlarm(user);
    expect(pushes().at(-1)).toMatchObject({ facebook: '1' });
    expect(await scheduledAlarm(user)).toBeNull();
  });

  it('after /logout of the last link: every boolean "0", then the grant is forgotten (deleted and revoked)', async () => {
    const user = freshUser();
    await storeGrant(user.id, Date.now() + 7 * DAY);
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'facebook', subject: ADA_ID, name: 'Ada', scopes: [], now: 1 });
    bed.net().always(`DELETE graph:/${ADA_ID}/permissions`, () => json(200, { success: true }));
    bed.net().always(R.revoke, () => new Response(null, { status: 200 }));
    bed.net().always(R.deleteConnection, () => new Response(null, { status: 204 }));
    await postInteraction(commandInteraction('logout', user));
    await runAlarm(user);
    expect(pushes()).toEqual([{ facebook: '0', github: '0', google: '0', microsoft: '0' }]);
    expect(await storedGrant(user.id)).toBeUndefined();
    expect(bed.net().to(R.revoke)).toHaveLength(1);
  });

  it('after /logout of one of several links: the rest stays, and so does the grant', async () => {
    const user = freshUser();
    await storeGrant(user.id, Date.now() + 7 * DAY);
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'facebook', subject: ADA_ID, name: 'Ada', scopes: [], now: 1 });
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'github', subject: '583231', name: 'octocat', scopes: [], now: 2 });
    await postInteraction(commandInteraction('logout', user, { options: { provider: 'github' } }));
    await runAlarm(user);
    expect(pushes()).toEqual([{ facebook: '1', github: '0', google: '0', microsoft: '0', linked_since: new Date(1).toISOString() }]);
    expect(await storedGrant(user.id)).toBeDefined();
  });

  it.each(['deauthorize', 'data-deletion'] as const)('after Facebook\'s %s callback: the user is pushed with Facebook unlinked', async (callback_) => {
    const user = freshUser();
    await storeGrant(user.id, Date.now() + 7 * DAY);
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'facebook', subject: ADA_ID, name: 'Ada', scopes: [], now: 1 });
    expect((await postSignedRequest(callback_, await signedRequest(facebookPayload(ADA_ID)))).status).toBe(200);
    await runAlarm(user);
    expect(pushes()).toEqual([{ facebook: '0', github: '0', google: '0', microsoft: '0' }]);
  });
});

describe('the Linked Roles page, for a member with no link yet', () => {
  it('offers "Continue with <Provider>" buttons that finish the login in this browser, and the roles follow', async () => {
    const net = bed.net();
    const flow = await startedFlow();
    net.script(R.token, tokenAnswer());
    net.script(R.me, meAnswer());
    const page = await callback({ code: 'discord-code', state: flow.state }, flow.cookie);
    const text = await page.text();
    expect(page.status).toBe(200);
    const buttons = [...text.matchAll(/href="(https:\/\/bot\.example\/auth\/(\w+)\/start\?t=[^"]+)">Continue with ([^<]+)</g)];
    expect(buttons.map((m) => [m[2], m[3]])).toEqual([
      ['facebook', 'Facebook'],
      ['github', 'GitHub'],
      ['google', 'Google'],
      ['microsoft', 'Microsoft'],
      ['oidc', 'Example SSO'],
    ]);
    // Continue with Facebook, in this browser: the page names the Discord account, its form starts.
    const confirmation = await fetchManual(buttons[0]![1]!.replace(/&amp;/g, '&'));
    const confirmationText = await confirmation.text();
    expect(confirmation.status).toBe(200);
    expect(confirmationText).toContain('Link your Facebook account to the Discord account <strong>@alice</strong> (Alice &lt;Liddell&gt;)?');
    const start = await postForm(confirmationText);
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get('location')!);
    const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
    net.script('POST graph:/oauth/access_token', () => json(200, { access_token: 'EAAB-web-token-0123456789', token_type: 'bearer' }));
    net.script(ROUTES.me, facebook.profile);
    const done = await fetchManual(`https://bot.example/auth/facebook/callback?code=c&state=${encodeURIComponent(location.searchParams.get('state')!)}`, cookie);
    expect(await done.text()).toContain('Signed in as Ada Lovelace');
    expect(await linkOf(discordUser.id)).toMatchObject({ subject: ADA_ID });
    // No Discord message to edit: the alarm pushes the roles.
    const user = { id: discordUser.id, username: discordUser.username };
    await runAlarm(user);
    expect(pushes().at(-1)).toMatchObject({ facebook: '1' });
    expect(net.to(ROUTES.editOriginal)).toHaveLength(0);
  });
  it('a /login already running: the page leaves it running (no buttons; "approve its code"), and that code still links', async () => {
    const net = bed.net();
    const user = freshUser('running');
    const interaction = commandInteraction('login', user);
    await postInteraction(interaction);
    net.script(ROUTES.deviceLogin, () => facebook.deviceCode());
    await runAlarm(user);
    const flow = await startedFlow();
    net.script(R.token, tokenAnswer());
    net.script(R.me, meAnswer(user));
    const text = await (await callback({ code: 'discord-code', state: flow.state }, flow.cookie)).text();
    expect(text).toContain('is still running: approve its code there');
    expect(text).not.toContain('Continue with');
    expect((await storedState(user))!.recentStarts).toHaveLength(1);
    net.script(ROUTES.loginStatus, facebook.token);
    net.script(ROUTES.me, facebook.profile);
    advanceClock(5_000);
    await runAlarm(user);
    expect(await linkOf(user.id)).toMatchObject({ subject: ADA_ID });
    expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Logged in as Ada Lovelace']);
  });

  it("the page's own login does not count toward /login's limit of 3 a minute", async () => {
    const net = bed.net();
    const user = freshUser('visitor');
    for (let visit = 0; visit < 3; visit++) {
      const flow = await startedFlow();
      net.script(R.token, tokenAnswer());
      net.script(R.me, meAnswer(user));
      expect(await (await callback({ code: `discord-code-${visit}`, state: flow.state }, flow.cookie)).text()).toContain('Continue with');
    }
    expect((await storedState(user))!.recentStarts).toHaveLength(0);
  });

  it('a provider unreachable at the start: a 502 page, and the same button still works once it is back', async () => {
    // Past any cached discovery document, so that the start has to fetch it.
    advanceClock(400 * DAY);
    const net = bed.net();
    serveMetadata(net);
    const flow = await startedFlow();
    net.script(R.token, tokenAnswer());
    net.script(R.me, meAnswer());
    const text = await (await callback({ code: 'discord-code', state: flow.state }, flow.cookie)).text();
    const button = /href="(https:\/\/bot\.example\/auth\/oidc\/start\?t=[^"]+)"/.exec(text)![1]!.replace(/&amp;/g, '&');
    const confirmation = await fetchManual(button);
    expect(confirmation.status).toBe(200);
    const form = await confirmation.text();
    net.script(providers.oidc.discovery(), () => json(503, { error: 'unavailable' }));
    const failed = await postForm(form);
    expect(failed.status).toBe(502);
    expect(failed.headers.get('set-cookie')).toBeNull();
    // The ticket survived: the page still asks, and its form now starts.
    expect((await fetchManual(button)).status).toBe(200);
    const again = await postForm(form);
    expect(again.status).toBe(302);
    expect(new URL(again.headers.get('location')!).searchParams.get('client_id')).toBe(env.OIDC_CLIENT_ID);
    expect(net.to(providers.oidc.discovery())).toHaveLength(2);
  });
});

async function fetchManual(url: string, cookie?: string) {
  const { exports } = await import('cloudflare:workers');
  return exports.default.fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
}

/** Submits the confirmation page's form as a browser does: urlencoded, with the site's Origin. */
async function postForm(page: string) {
  const [, action, ticket] = /<form method="post" action="([^"]+)"><input type="hidden" name="t" value="([^"]+)">/.exec(page)!;
  const { exports } = await import('cloudflare:workers');
  return exports.default.fetch(action!, {
    method: 'POST',
    body: new URLSearchParams({ t: ticket! }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://bot.example' },
    redirect: 'manual',
  });
}
