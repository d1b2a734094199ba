/**
 * A deployment with only some providers set up, and each in its other configuration: GitHub without a client
 * secret, Google whose ID tokens name the issuer without its scheme (`accounts.google.com`, which Google documents
 * next to `https://accounts.google.com`), Microsoft with a tenant GUID, an OpenID provider (oidc-provider) with a
 * confidential client (client_secret_basic) whose ID tokens carry only `sub` (name and picture from userinfo),
 * and DEFAULT_PROVIDER=oidc. Facebook is not set up. One Worker under `wrangler dev` for the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProviderStandins, type ProviderStandins } from '../../scripts/lib/provider-standins.ts';
import { workerVarsFor } from '../../scripts/lib/worker-vars.ts';
import { startWorker, type WorkerHandle } from '../../scripts/lib/wrangler-dev.ts';
import { startDiscordStandin, type DiscordStandin } from '../../scripts/standins/discord.ts';
import type { GitHubStandin } from '../../scripts/standins/github.ts';
import type { GoogleStandin } from '../../scripts/standins/google.ts';
import type { MicrosoftStandin } from '../../scripts/standins/microsoft.ts';
import type { OidcStandin } from '../../scripts/standins/oidc.ts';
import { embedOf, loginShowingCode, messageTitled, userFactory, whoami } from '../support/node/login-messages.ts';

let discord: DiscordStandin;
let standins: ProviderStandins;
let worker: WorkerHandle;
let github: GitHubStandin;
let google: GoogleStandin;
let microsoft: MicrosoftStandin;
let oidc: OidcStandin;
const newUser = userFactory(720_000_000_000_000_000n, 'subset');

beforeAll(async () => {
  discord = await startDiscordStandin();
  standins = await startProviderStandins({
    only: ['github', 'google', 'microsoft', 'oidc'],
    intervalSeconds: 1,
    google: { idTokenIssuer: 'host' },
    oidc: { tokenEndpointAuthMethod: 'client_secret_basic', idTokenOnlySub: true },
  });
  ({ github, google, microsoft, oidc } = standins as Required<ProviderStandins>);
  worker = await startWorker({
    vars: (url) =>
      workerVarsFor({ discord, ...standins, githubClientSecret: false, microsoftTenant: microsoft.tenantId, defaultProvider: 'oidc', publicBaseUrl: url }),
  });
  discord.setInteractionsUrl(`${worker.url}/interactions`);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await discord?.close();
  await standins?.close();
});

const choices = async (typed: string) => {
  const result = await discord.sendAutocomplete({ name: 'login', user: newUser(), options: { provider: typed }, focused: 'provider' });
  expect(result.failure).toBeUndefined();
  return result.choices;
};

describe('a deployment without Facebook, each provider in its other configuration', () => {
  it('autocomplete offers exactly the four enabled providers, filtered by what was typed', async () => {
    expect(await choices('')).toEqual([
      { name: 'GitHub', value: 'github' },
      { name: 'Google', value: 'google' },
      { name: 'Microsoft', value: 'microsoft' },
      { name: 'OpenID', value: 'oidc' },
    ]);
    expect(await choices('o')).toEqual([
      { name: 'Google', value: 'google' },
      { name: 'Microsoft', value: 'microsoft' },
      { name: 'OpenID', value: 'oidc' },
    ]);
    expect(await choices('face')).toEqual([]);
    expect(await choices('HUB')).toEqual([{ name: 'GitHub', value: 'github' }]);
  });

  it('/login provider:facebook (not set up) answers at once, only to the user, with the providers on offer', async () => {
    const result = await discord.sendCommand({ name: 'login', user: newUser(), options: { provider: 'facebook' } });
    expect(result.body).toEqual({
      type: 4,
      data: {
        content: 'This bot offers no login called "facebook". Choose one of: `github` (GitHub), `google` (Google), `microsoft` (Microsoft), and `oidc` (OpenID).',
        flags: 64,
      },
    });
  });

  it('/login without the option uses DEFAULT_PROVIDER: the OpenID provider; name and picture come from userinfo', async () => {
    const user = newUser();
    const { messageId, userCode } = await loginShowingCode(discord, user, 'OpenID');
    await oidc.approve(userCode, 'zoe');
    const done = await messageTitled(discord, messageId, 'Logged in as Zoë Ångström');
    expect(embedOf(done)?.thumbnail?.url).toBe(`${oidc.issuer}/pictures/${oidc.subFor('zoe')}.svg`);
    expect(oidc.traffic.entries().some((entry) => entry.path === '/me' && entry.status === 200)).toBe(true);
    // The confidential client gives the token back with its credentials (client_secret_basic).
    expect(oidc.traffic.entries().some((entry) => entry.path === '/token/revocation' && entry.status === 200)).toBe(true);
    expect(await whoami(discord, user)).toContain(`**OpenID**: **Zoë Ångström** (id \`${oidc.subFor('zoe')}\`)`);
  });

  it('Google: an ID token whose iss is the issuer without its scheme (as Google documents it may be) logs the user in', async () => {
    const user = newUser();
    const { messageId, userCode } = await loginShowingCode(discord, user, 'Google', 'google');
    google.approve(userCode, { name: 'Alice Example' });
    await messageTitled(discord, messageId, 'Logged in as Alice Example');
    expect(await whoami(discord, user)).toContain(`**Google**: **Alice Example** (id \`${google.account('Alice Example').sub}\`)`);
  });

  it('Microsoft with a tenant GUID: a work account of that tenant logs in', async () => {
    const user = newUser();
    const { messageId, userCode } = await loginShowingCode(discord, user, 'Microsoft', 'microsoft');
    expect(microsoft.deviceLogin(userCode)?.tenant).toBe(microsoft.tenantId);
    microsoft.approve(userCode, { name: 'Bob Example' });
    await messageTitled(discord, messageId, 'Logged in as Bob Example');
    expect(await whoami(discord, user)).toContain('**Microsoft**: **Bob Example**');
  });

  it('GitHub without a client secret: the login works; the grant stays (the bot cannot delete it without the secret)', async () => {
    const user = newUser();
    const { messageId, userCode } = await loginShowingCode(discord, user, 'GitHub', 'github');
    github.approve(userCode, { name: 'Alice Example' });
    await messageTitled(discord, messageId, 'Logged in as Alice Example');
    expect(github.revocations()).toEqual([]);
    expect(github.traffic.entries().filter((entry) => entry.route === 'grant')).toEqual([]);
  });

  it('a provider answering 5xx: the Worker retries after a backoff and the login still completes', async () => {
    const { messageId, userCode } = await loginShowingCode(discord, newUser(), 'Microsoft', 'microsoft');
    microsoft.injectFault('token', { kind: 'serverError' });
    await microsoft.waitForDeviceLogin((login) => login.userCode === userCode && login.polls.length >= 1, 15_000);
    microsoft.approve(userCode, { name: 'Alice Example' });
    await messageTitled(discord, messageId, 'Logged in as Alice Example', 20_000);
    const tokenRequests = microsoft.traffic.entries().filter((entry) => entry.route === 'token');
    const faulted = tokenRequests.findIndex((entry) => entry.fault === 'serverError');
    expect(faulted).toBeGreaterThanOrEqual(0);
    // Backoff: two intervals after a first failure (the Worker's bounded exponential backoff), not one.
    expect(tokenRequests[faulted + 1]!.time - tokenRequests[faulted]!.time).toBeGreaterThanOrEqual(2_000);
    expect(microsoft.deviceLogin(userCode)!.tooFastPolls).toBe(0);
  });
});
