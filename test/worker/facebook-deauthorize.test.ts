/** POST /facebook/deauthorize: the user removed the app at Facebook, so the bot forgets them entirely. */
import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase, everythingStored, linkOf } from '../support/worker/database.ts';
import { facebookPayload, postSignedRequest, signedRequest } from '../support/worker/facebook.ts';

const FACEBOOK_ID = '1040000000000001';
const NAME = 'Dana Deauthorizer';

beforeEach(async () => {
  await clearDatabase();
  await linkAccount(env.DB, { discordUserId: '111111111111111111', provider: 'facebook', subject: FACEBOOK_ID, name: NAME, scopes: ['public_profile'], now: 1 });
  await linkAccount(env.DB, { discordUserId: '222222222222222222', provider: 'facebook', subject: '1040000000000002', name: 'Someone Else', scopes: [], now: 2 });
});

describe('POST /facebook/deauthorize', () => {
  it('deletes the link; afterwards no table holds the Facebook id or name, and the other user is untouched', async () => {
    expect(Object.values(await everythingStored()).join('\n')).toContain(NAME);

    const response = await postSignedRequest('deauthorize', await signedRequest(facebookPayload(FACEBOOK_ID)));
    expect(response.status).toBe(200);

    const after = await everythingStored();
    expect(Object.keys(after)).toEqual(expect.arrayContaining(['links', 'deletion_requests']));
    const everything = Object.values(after).join('\n');
    expect(everything).not.toContain(FACEBOOK_ID);
    expect(everything).not.toContain(NAME);
    expect(await linkOf('111111111111111111')).toBeNull();
    expect(await linkOf('222222222222222222')).toMatchObject({ provider: 'facebook', subject: '1040000000000002' });
  });

  it('records no deletion request (that is the data-deletion callback\'s job)', async () => {
    await postSignedRequest('deauthorize', await signedRequest(facebookPayload(FACEBOOK_ID)));
    expect((await env.DB.prepare('SELECT count(*) AS n FROM deletion_requests').first<{ n: number }>())!.n).toBe(0);
  });

  it('is idempotent: a repeated callback, or one for an unknown user, answers 200 and changes nothing else', async () => {
    const value = await signedRequest(facebookPayload(FACEBOOK_ID));
    expect((await postSignedRequest('deauthorize', value)).status).toBe(200);
    expect((await postSignedRequest('deauthorize', value)).status).toBe(200);
    expect((await postSignedRequest('deauthorize', await signedRequest(facebookPayload('1049999999999999')))).status).toBe(200);
    expect(await linkOf('222222222222222222')).not.toBeNull();
  });
});
