/**
 * Every identity provider end to end: the real Worker under `wrangler dev` (one for the file, alarms firing on
 * their own) against the Discord stand-in and all five provider stand-ins (oidc-provider for `oidc`), at a 1 s
 * polling interval. One full device login per provider ending in "Logged in as" and the link in /whoami; a
 * GitHub /login that supersedes a Facebook one; autocomplete of the `provider` options; each provider's own way
 * of saying pending, slow down, declined and expired; and never a poll after the token was issued.
 *
 * Tests run concurrently (each with its own Discord users, so its own LoginSession), except the GitHub ones: the
 * slow-down test skews the GitHub stand-in's clock, which would make any other GitHub login's poll look too fast.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProviderStandins, type ProviderStandins } from '../../scripts/lib/provider-standins.ts';
import { workerVarsFor } from '../../scripts/lib/worker-vars.ts';
import { startWorker, type WorkerHandle } from '../../scripts/lib/wrangler-dev.ts';
import { startDiscordStandin, type DiscordStandin } from '../../scripts/standins/discord.ts';
import type { FacebookStandin } from '../../scripts/standins/facebook.ts';
import type { GitHubStandin } from '../../scripts/standins/github.ts';
import type { GoogleStandin } from '../../scripts/standins/google.ts';
import type { MicrosoftStandin } from '../../scripts/standins/microsoft.ts';
import type { OidcStandin } from '../../scripts/standins/oidc.ts';
import { embedOf, linkOf, loginShowingCode, messageTitled, titleOf, userFactory, whoami } from '../support/node/login-messages.ts';

const INTERVAL_SECONDS = 1;
/** oidc-provider's device codes live this long (real time), so the expiry test is short. */
const OIDC_CODE_TTL_SECONDS = 6;
/** GitHub's slow_down adds this to the interval: more than RFC 8628's 5 s, so honouring its `interval` shows. */
const GITHUB_SLOW_DOWN_PENALTY_SECONDS = 6;
const OIDC_NAME = 'Example SSO';

let discord: DiscordStandin;
let standins: ProviderStandins;
let worker: WorkerHandle;
let facebook: FacebookStandin;
let github: GitHubStandin;
let google: GoogleStandin;
let microsoft: MicrosoftStandin;
let oidc: OidcStandin;
/** Added to the GitHub stand-in's clock: moving it back makes the next poll look too fast (see the slow-down test). */
let githubSkewMs = 0;
const newUser = userFactory(710_000_000_000_000_000n, 'providers');

beforeAll(async () => {
  discord = await startDiscordStandin();
  standins = await startProviderStandins({
    intervalSeconds: INTERVAL_SECONDS,
    github: { now: () => Date.now() + githubSkewMs, slowDownPenaltySeconds: GITHUB_SLOW_DOWN_PENALTY_SECONDS },
    oidc: { deviceCodeTtlSeconds: OIDC_CODE_TTL_SECONDS },
  });
  ({ facebook, github, google, microsoft, oidc } = standins as Required<ProviderStandins>);
  worker = await startWorker({ vars: (url) => workerVarsFor({ discord, ...standins, oidcName: OIDC_NAME, publicBaseUrl: url }) });
  discord.setInteractionsUrl(`${worker.url}/interactions`);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await discord?.close();
  await standins?.close();
});

/** Lines of /whoami: one per link. */
const linkLines = (text: string) => text.split('\n').filter((line) => line.startsWith('- '));

describe.concurrent('logins at every provider, through wrangler dev', () => {
  describe('GitHub (one at a time: the slow-down test skews its clock)', () => {
    it('GitHub: /login provider:github -> code -> authorize -> "Logged in as"; the grant is given back; /whoami shows it', { concurrent: false }, async () => {
      const user = newUser();
      const { messageId, message, userCode } = await loginShowingCode(discord, user, 'GitHub', 'github');
      expect(embedOf(message)?.color).toBe(0x24292f);
      expect(linkOf(message)).toBe(`${github.url}/login/device`);
      await github.waitForDeviceLogin((login) => login.userCode === userCode && login.polls.length >= 2, 10_000);
      github.approve(userCode, { name: 'Alice Example' });
      const done = await messageTitled(discord, messageId, 'Logged in as Alice Example');
      expect(embedOf(done)?.thumbnail?.url).toBe(github.account('Alice Example').avatarUrl);
      expect(github.deviceLogin(userCode)).toMatchObject({ state: 'redeemed', tooFastPolls: 0, slowDowns: 0 });
      // With GITHUB_CLIENT_SECRET set the Worker deletes the grant right after reading /user.
      await expect.poll(() => github.revocations().filter((r) => r.name === 'Alice Example').length, { timeout: 5_000 }).toBe(1);

      const lines = linkLines(await whoami(discord, user));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`**GitHub**: **Alice Example** (id \`${github.userIdFor('Alice Example')}\`)`);
    });

    it('a GitHub /login supersedes a running Facebook one: "Login replaced", and only GitHub\'s code is polled afterwards', { concurrent: false }, async () => {
      const user = newUser();
      const first = await loginShowingCode(discord, user, 'Facebook', 'facebook');
      await facebook.waitForDeviceLogin((login) => login.userCode === first.userCode && login.polls.length >= 1, 10_000);

      const second = await loginShowingCode(discord, user, 'GitHub', 'github');
      await messageTitled(discord, first.messageId, 'Login replaced');
      await github.waitForDeviceLogin((login) => login.userCode === second.userCode && login.polls.length >= 1, 10_000);
      const facebookPolls = facebook.deviceLogin(first.userCode)!.polls.length;
      await github.waitForDeviceLogin((login) => login.userCode === second.userCode && login.polls.length >= 3, 10_000);
      expect(facebook.deviceLogin(first.userCode)!.polls).toHaveLength(facebookPolls);

      github.approve(second.userCode, { name: 'Bob Example' });
      await messageTitled(discord, second.messageId, 'Logged in as Bob Example');
      expect(facebook.deviceLogin(first.userCode)).toMatchObject({ state: 'pending', tooFastPolls: 0 });
      expect(titleOf(discord.message(first.messageId))).toBe('Login replaced');
      const lines = linkLines(await whoami(discord, user));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('**GitHub**: **Bob Example**');
    });

    it('GitHub\'s slow_down carrying a new interval: the Worker waits that long (not just 5 s more), no poll comes too fast', { concurrent: false }, async () => {
      const user = newUser();
      const { messageId, userCode } = await loginShowingCode(discord, user, 'GitHub', 'github');
      await github.waitForDeviceLogin((login) => login.userCode === userCode && login.polls.length >= 1, 10_000);
      // The next poll arrives ~1 s later by real time; with the clock moved back 2 s, GitHub sees it come too early
      // (as it would when the network delays one poll and not the next) and answers slow_down with interval 7.
      githubSkewMs -= 2_000;
      const slowed = await github.waitForDeviceLogin((login) => login.userCode === userCode && login.slowDowns === 1, 10_000);
      const required = slowed.requiredIntervalMs;
      expect(required).toBe((INTERVAL_SECONDS + GITHUB_SLOW_DOWN_PENALTY_SECONDS) * 1000);
      github.approve(userCode, { name: 'Zoë Ångström' });
      await messageTitled(discord, messageId, 'Logged in as Zoë Ångström', 20_000);

      const login = github.deviceLogin(userCode)!;
      expect(login).toMatchObject({ state: 'redeemed', slowDowns: 1, tooFastPolls: 1 });
      const afterSlowDown = login.polls.slice(login.polls.indexOf(slowed.polls.at(-1)!));
      expect(afterSlowDown.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < afterSlowDown.length; i++) expect(afterSlowDown[i]! - afterSlowDown[i - 1]!).toBeGreaterThanOrEqual(required);
    });
  });

  it('Facebook: /login provider:facebook -> code -> approve -> "Logged in as"; /whoami shows it', async () => {
    const user = newUser();
    const { messageId, message, userCode } = await loginShowingCode(discord, user, 'Facebook', 'facebook');
    expect(linkOf(message)).toBe(`${facebook.url}/device?user_code=${userCode}`);
    facebook.approve(userCode, { name: 'Grace Hopper' });
    await messageTitled(discord, messageId, 'Logged in as Grace Hopper');
    expect(facebook.deviceLogin(userCode)).toMatchObject({ state: 'redeemed', tooFastPolls: 0 });
    const lines = linkLines(await whoami(discord, user));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`**Facebook**: **Grace Hopper** (id \`${facebook.userIdFor('Grace Hopper')}\`)`);
  });

  it('Google: pending is HTTP 428, then approve -> "Logged in as" from the ID token; the token is revoked; /whoami shows it', async () => {
    const user = newUser();
    const { messageId, message, userCode } = await loginShowingCode(discord, user, 'Google', 'google');
    expect(linkOf(message)).toBe(`${google.url}/device`);
    await google.waitForDeviceLogin((login) => login.userCode === userCode && login.polls.length >= 2, 10_000);
    const pendings = google.traffic.entries().filter((entry) => entry.route === 'token' && entry.status === 428);
    expect(pendings.length).toBeGreaterThanOrEqual(2);
    google.approve(userCode, { name: 'Bob Example' });
    const done = await messageTitled(discord, messageId, 'Logged in as Bob Example');
    expect(embedOf(done)?.thumbnail?.url).toBe(google.account('Bob Example').picture);
    expect(google.deviceLogin(userCode)).toMatchObject({ state: 'redeemed', tooFastPolls: 0 });
    await expect.poll(() => google.revocations().filter((r) => r.name === 'Bob Example').length, { timeout: 5_000 }).toBe(1);
    const lines = linkLines(await whoami(discord, user));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`**Google**: **Bob Example** (id \`${google.account('Bob Example').sub}\`)`);
  });

  it('Microsoft: /login provider:microsoft -> code -> approve -> "Logged in as" (templated issuer); /whoami shows it', async () => {
    const user = newUser();
    const { messageId, message, userCode } = await loginShowingCode(discord, user, 'Microsoft', 'microsoft');
    expect(linkOf(message)).toBe(`${microsoft.url}/link`);
    microsoft.approve(userCode, { name: 'Zoë Ångström' });
    await messageTitled(discord, messageId, 'Logged in as Zoë Ångström');
    expect(microsoft.deviceLogin(userCode)).toMatchObject({ state: 'redeemed', tooFastPolls: 0 });
    const lines = linkLines(await whoami(discord, user));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^- \*\*Microsoft\*\*: \*\*Zoë Ångström\*\* \(id `[^`]+`\)/);
  });

  // Inside a code span Discord shows escapes literally: Entra's pairwise `sub` (base64url: `_` and `-`) must be
  // shown as it is.
  it('Microsoft: /whoami shows the account id exactly as Entra gave it', async () => {
    const user = newUser();
    const { messageId, userCode } = await loginShowingCode(discord, user, 'Microsoft', 'microsoft');
    microsoft.approve(userCode, { name: 'Bob Example' });
    await messageTitled(discord, messageId, 'Logged in as Bob Example');
    const sub = microsoft.account('Bob Example').sub;
    expect(await whoami(discord, user)).toContain(`(id \`${sub}\`)`);
  });

  it('Microsoft: authorization_declined -> "Login declined"', async () => {
    const { messageId, userCode } = await loginShowingCode(discord, newUser(), 'Microsoft', 'microsoft');
    microsoft.decline(userCode);
    await messageTitled(discord, messageId, 'Login declined');
    expect(microsoft.traffic.entries().some((entry) => entry.route === 'token' && entry.status === 400 && entry.note?.includes('declined'))).toBe(true);
    expect(microsoft.deviceLogin(userCode)!.tooFastPolls).toBe(0);
  });

  it('OpenID (oidc-provider): the person enters the code, logs in and consents on its pages -> "Logged in as"; never a poll after the tokens', async () => {
    const user = newUser();
    const { messageId, message, userCode } = await loginShowingCode(discord, user, OIDC_NAME, 'oidc');
    expect(linkOf(message)).toMatch(new RegExp(`^${oidc.issuer}/device\\?user_code=`));
    await oidc.approve(userCode, 'alice');
    await messageTitled(discord, messageId, 'Logged in as Alice Example');
    const lines = linkLines(await whoami(discord, user));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`**${OIDC_NAME}**: **Alice Example** (id \`${oidc.subFor('alice')}\`)`);

    // Another login polled twice after this one ended: two intervals went by with the alarms running.
    const marker = await loginShowingCode(discord, newUser(), OIDC_NAME, 'oidc');
    await oidc.waitForDeviceLogin((login) => login.userCode === marker.userCode && login.polls.length >= 2, 10_000);
    const outcomes = oidc.deviceLogin(userCode)!.outcomes;
    expect(outcomes.at(-1)).toBe('tokens');
    expect(outcomes.filter((outcome) => outcome === 'tokens')).toHaveLength(1);
    expect(outcomes.every((outcome) => outcome === 'authorization_pending' || outcome === 'tokens')).toBe(true);
    expect(oidc.deviceLogin(userCode)!.tooFastPolls).toBe(0);
    // The Worker gave the access token back (RFC 7009) instead of keeping it.
    expect(oidc.traffic.entries().some((entry) => entry.path === '/token/revocation' && entry.status === 200)).toBe(true);
  });

  it('OpenID: the person denies on oidc-provider\'s page -> "Login declined"', async () => {
    const { messageId, userCode } = await loginShowingCode(discord, newUser(), OIDC_NAME, 'oidc');
    await oidc.deny(userCode);
    await messageTitled(discord, messageId, 'Login declined');
    expect(oidc.deviceLogin(userCode)!.outcomes.at(-1)).toBe('access_denied');
  });

  it('OpenID: a code nobody enters expires -> "Code expired", and polling stops', async () => {
    const { messageId, userCode } = await loginShowingCode(discord, newUser(), OIDC_NAME, 'oidc');
    await messageTitled(discord, messageId, 'Code expired', (OIDC_CODE_TTL_SECONDS + 10) * 1000);
    const polls = oidc.deviceLogin(userCode)!.polls.length;
    const marker = await loginShowingCode(discord, newUser(), OIDC_NAME, 'oidc');
    await oidc.waitForDeviceLogin((login) => login.userCode === marker.userCode && login.polls.length >= 2, 10_000);
    expect(oidc.deviceLogin(userCode)!.polls).toHaveLength(polls);
    expect(oidc.deviceLogin(userCode)!.outcomes).not.toContain('tokens');
  });

  it('autocomplete of /login provider: exactly the enabled providers, in order, filtered by what was typed', async () => {
    const user = newUser();
    const choices = async (typed: string) => {
      const result = await discord.sendAutocomplete({ name: 'login', user, options: { provider: typed }, focused: 'provider' });
      expect(result.failure).toBeUndefined();
      return result.choices;
    };
    expect(await choices('')).toEqual([
      { name: 'Facebook', value: 'facebook' },
      { name: 'GitHub', value: 'github' },
      { name: 'Google', value: 'google' },
      { name: 'Microsoft', value: 'microsoft' },
      { name: OIDC_NAME, value: 'oidc' },
    ]);
    expect(await choices('gi')).toEqual([{ name: 'GitHub', value: 'github' }]);
    expect(await choices('MICRO')).toEqual([{ name: 'Microsoft', value: 'microsoft' }]);
    expect(await choices('sso')).toEqual([{ name: OIDC_NAME, value: 'oidc' }]);
    expect(await choices('nope')).toEqual([]);
    // Autocomplete posts no message and leaves the user's login alone.
    expect(discord.messages().filter((m) => (m.interaction_metadata as { user?: { id: string } }).user?.id === user.id)).toEqual([]);
  });

  it('/logout with several links asks which; autocomplete offers the caller\'s own links; /logout provider: removes that one', async () => {
    const user = newUser();
    const first = await loginShowingCode(discord, user, 'Microsoft', 'microsoft');
    microsoft.approve(first.userCode, { name: 'Alice Example' });
    await messageTitled(discord, first.messageId, 'Logged in as Alice Example');
    const second = await loginShowingCode(discord, user, OIDC_NAME, 'oidc');
    await oidc.approve(second.userCode, 'bob');
    await messageTitled(discord, second.messageId, 'Logged in as Bob Example');

    const own = await discord.sendAutocomplete({ name: 'logout', user, options: { provider: '' }, focused: 'provider' });
    expect(own.choices).toEqual([
      { name: 'Microsoft (Alice Example)', value: 'microsoft' },
      { name: `${OIDC_NAME} (Bob Example)`, value: 'oidc' },
    ]);
    const someoneElse = await discord.sendAutocomplete({ name: 'logout', user: newUser(), options: { provider: '' }, focused: 'provider' });
    expect(someoneElse.choices).toEqual([]);

    const ask = await discord.sendCommand({ name: 'logout', user });
    expect(ask.message?.content).toMatch(/^You have 2 linked accounts: .*`microsoft`.*`oidc`/);
    const loggedOut = await discord.sendCommand({ name: 'logout', user, options: { provider: 'microsoft' } });
    expect(loggedOut.body).toEqual({ type: 5, data: { flags: 64 } });
    const outcome = await discord.waitForMessage((m) => m.id === loggedOut.message!.id && m.content.startsWith('Logged out'));
    expect(outcome.content).toContain('your link to the Microsoft account **Alice Example** is deleted here.');
    const lines = linkLines(await whoami(discord, user));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`**${OIDC_NAME}**: **Bob Example**`);
  });
});
