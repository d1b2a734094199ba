/**
 * A successful /login writes the link in D1 and says what it replaced; Facebook's deauthorize and data-deletion
 * callbacks then leave nothing about that Facebook account in D1 or in any LoginSession Durable Object.
 */
import { listDurableObjectIds, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase, everythingStored, linkOf, linkOfAccount } from '../support/worker/database.ts';
import { facebookPayload, postSignedRequest, signedRequest } from '../support/worker/facebook.ts';
import { advanceClock, loginShowingCode, runAlarm, storedState, T0, titlesFor, useLoginTestbed } from '../support/worker/login.ts';
import { facebook, json, ROUTES } from '../support/worker/network.ts';

const bed = useLoginTestbed();
const ADA_ID = '10229876543210987';
const ADA = 'Ada Lovelace';

beforeEach(() => clearDatabase());

/** Runs a login to the point where Facebook approved it and the profile was read. */
async function approvedLogin() {
  const net = bed.net();
  const login = await loginShowingCode(net);
  net.script(ROUTES.loginStatus, facebook.token);
  net.script(ROUTES.me, facebook.profile);
  advanceClock(5_000);
  return login;
}

describe('/login links the accounts', () => {
  it('a successful login writes the link (both lookups work) with the permissions Graph says were granted and the time', async () => {
    const { user } = await approvedLogin();
    await runAlarm(user);
    const link = await linkOf(user.id);
    expect(link).toEqual({ discordUserId: user.id, provider: 'facebook', subject: ADA_ID, name: ADA, scopes: ['public_profile'], linkedAtMs: T0 + 5_000 });
    expect(await linkOfAccount('facebook', ADA_ID)).toEqual(link);
  });

  it('a permission the user declined on Facebook is not stored as granted', async () => {
    const net = bed.net();
    const { user } = await loginShowingCode(net);
    net.script(ROUTES.loginStatus, facebook.token);
    net.script(ROUTES.me, () => facebook.profileWith(['user_link'], ['email']));
    advanceClock(5_000);
    await runAlarm(user);
    expect((await linkOf(user.id))!.scopes).toEqual(['public_profile', 'user_link']);
  });

  it('logging in with a Facebook account linked to another Discord user moves it, and the message says so', async () => {
    await linkAccount(env.DB, { discordUserId: '999999999999999999', provider: 'facebook', subject: ADA_ID, name: ADA, scopes: ['public_profile'], now: 1 });
    const { user, interaction } = await approvedLogin();
    await runAlarm(user);
    expect(await linkOf('999999999999999999')).toBeNull();
    expect((await linkOfAccount('facebook', ADA_ID))!.discordUserId).toBe(user.id);
    const final = bed.net().to(ROUTES.editOriginal).filter((r) => r.url.pathname.includes(interaction.token)).at(-1)!;
    expect((final.json as { embeds: Array<{ description: string }> }).embeds[0]!.description).toContain('was linked to another Discord account');
  });

  it('logging in with a different Facebook account relinks, and the message says the old link was replaced', async () => {
    const { user, interaction } = await approvedLogin();
    await linkAccount(env.DB, { discordUserId: user.id, provider: 'facebook', subject: '555', name: 'Old Account', scopes: ['public_profile'], now: 1 });
    await runAlarm(user);
    expect((await linkOf(user.id))!.subject).toBe(ADA_ID);
    expect(await linkOfAccount('facebook', '555')).toBeNull();
    const final = bed.net().to(ROUTES.editOriginal).filter((r) => r.url.pathname.includes(interaction.token)).at(-1)!;
    expect((final.json as { embeds: Array<{ description: string }> }).embeds[0]!.description).toContain('replaces the Facebook account');
  });

  it('the access token is used for the profile call and then dropped: it is stored nowhere', async () => {
    const { user } = await approvedLogin();
    await runAlarm(user);
    expect(Object.values(await everythingStored()).join('\n')).not.toMatch(/EAAB/);
    expect(await storedState(user)).toBeUndefined();
  });
});

describe('Facebook callbacks erase what the login left behind', () => {
  async function everyLoginSessionStorage(): Promise<string> {
    const dumps: string[] = [];
    for (const id of await listDurableObjectIds(env.LOGIN_SESSIONS)) {
      dumps.push(await runInDurableObject(env.LOGIN_SESSIONS.get(id), async (_i, state) => JSON.stringify([...(await state.storage.list())])));
    }
    return dumps.join('\n');
  }

  it.each(['deauthorize', 'data-deletion'] as const)(
    '%s while the "Logged in as" reply is still owed: neither D1 nor any Durable Object keeps the id or name',
    async (callback) => {
      const net = bed.net();
      const { user, interaction } = await approvedLogin();
      // Discord rate-limits the final edit, so the success message waits in the object's storage.
      net.script(ROUTES.editOriginal, () => json(429, { message: 'rate limited', retry_after: 30, global: false }));
      await runAlarm(user);
      expect(await everyLoginSessionStorage()).toContain(ADA);

      const response = await postSignedRequest(callback, await signedRequest(facebookPayload(ADA_ID)));
      expect(response.status).toBe(200);

      const d1 = Object.values(await everythingStored()).join('\n');
      expect(d1).not.toContain(ADA_ID);
      expect(d1).not.toContain(ADA);
      const objects = await everyLoginSessionStorage();
      expect(objects).not.toContain(ADA_ID);
      expect(objects).not.toContain(ADA);

      // The reply still owed is delivered without the name (the second title was the edit Discord refused with 429).
      advanceClock(30_000);
      await runAlarm(user);
      expect(titlesFor(net, interaction.token)).toEqual(['Log in with Facebook', 'Logged in as Ada Lovelace', 'Facebook link removed']);
      expect(await storedState(user)).toBeUndefined();
    },
  );
});
