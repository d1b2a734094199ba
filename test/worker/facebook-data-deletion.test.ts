/**
 * POST /facebook/data-deletion: deletes everything held about the Facebook user, records the request without
 * any personal data, and answers with the status URL and confirmation code Facebook shows the user.
 */
import { env, exports } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { linkAccount } from '../../src/links/store.ts';
import { clearDatabase, everythingStored, linkOf } from '../support/worker/database.ts';
import { facebookPayload, postSignedRequest, signedRequest } from '../support/worker/facebook.ts';

const FACEBOOK_ID = '1030000000000001';
const NAME = 'Zoë Deletion-Requester';
const OTHER_ID = '1030000000000002';

beforeEach(async () => {
  await clearDatabase();
  await linkAccount(env.DB, { discordUserId: '111111111111111111', provider: 'facebook', subject: FACEBOOK_ID, name: NAME, scopes: ['public_profile'], now: 1 });
  await linkAccount(env.DB, { discordUserId: '222222222222222222', provider: 'facebook', subject: OTHER_ID, name: 'Someone Else', scopes: ['public_profile'], now: 2 });
});

async function requestDeletion(facebookUserId = FACEBOOK_ID): Promise<Response> {
  return postSignedRequest('data-deletion', await signedRequest(facebookPayload(facebookUserId)));
}

describe('POST /facebook/data-deletion', () => {
  it('answers exactly {"url": status page, "confirmation_code": code} as JSON', async () => {
    const response = await requestDeletion();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const text = await response.text();
    const body = JSON.parse(text) as { url: string; confirmation_code: string };
    expect(Object.keys(body)).toEqual(['url', 'confirmation_code']);
    expect(body.confirmation_code).toMatch(/^[0-9a-f]{32}$/);
    expect(body.url).toBe(`https://bot.example/facebook/deletion?code=${body.confirmation_code}`);
    expect(text).toBe(JSON.stringify({ url: body.url, confirmation_code: body.confirmation_code }));
  });

  it('afterwards no table holds the user\'s Facebook id or name, and the other user is untouched', async () => {
    const before = Object.values(await everythingStored()).join('\n');
    expect(before).toContain(FACEBOOK_ID);
    expect(before).toContain(NAME);

    expect((await requestDeletion()).status).toBe(200);

    const after = await everythingStored();
    expect(Object.keys(after)).toEqual(expect.arrayContaining(['links', 'deletion_requests']));
    const everything = Object.values(after).join('\n');
    expect(everything).not.toContain(FACEBOOK_ID);
    expect(everything).not.toContain(NAME);
    expect(await linkOf('111111111111111111')).toBeNull();
    expect(await linkOf('222222222222222222')).toMatchObject({ provider: 'facebook', subject: OTHER_ID });
  });

  it('records only the code, the time and the status', async () => {
    const before = Date.now();
    const { confirmation_code } = await (await requestDeletion()).json<{ confirmation_code: string }>();
    const { results } = await env.DB.prepare('SELECT * FROM deletion_requests').all();
    expect(results).toEqual([{ confirmation_code, requested_at_ms: expect.any(Number), status: 'completed' }]);
    expect(results[0]!.requested_at_ms as number).toBeGreaterThanOrEqual(before);
  });

  it('a request for a user the bot never knew still gets a code and a status page, and deletes nobody else', async () => {
    const response = await requestDeletion('1039999999999999');
    expect(response.status).toBe(200);
    const { url } = await response.json<{ url: string }>();
    expect((await exports.default.fetch(url)).status).toBe(200);
    expect(await linkOf('111111111111111111')).not.toBeNull();
    expect(await linkOf('222222222222222222')).not.toBeNull();
  });

  it('each request gets its own code', async () => {
    const first = await (await requestDeletion()).json<{ confirmation_code: string }>();
    const second = await (await requestDeletion()).json<{ confirmation_code: string }>();
    expect(first.confirmation_code).not.toBe(second.confirmation_code);
  });

  it('prunes status records older than the retention period when a new request arrives', async () => {
    const old = Date.now() - 366 * 24 * 60 * 60 * 1000;
    await env.DB.prepare("INSERT INTO deletion_requests VALUES ('0123456789abcdef0123456789abcdef', ?1, 'completed')").bind(old).run();
    await requestDeletion();
    const { results } = await env.DB.prepare('SELECT confirmation_code FROM deletion_requests').all();
    expect(results.map((row) => row.confirmation_code)).not.toContain('0123456789abcdef0123456789abcdef');
    expect(results).toHaveLength(1);
  });
});

describe('GET /facebook/deletion?code=...', () => {
  it('shows the request\'s status in a small self-contained HTML page', async () => {
    const { url, confirmation_code } = await (await requestDeletion()).json<{ url: string; confirmation_code: string }>();
    const response = await exports.default.fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await response.text();
    expect(page).toContain(confirmation_code);
    expect(page).toMatch(/Status: completed/);
    expect(page).not.toContain(FACEBOOK_ID);
    expect(page).not.toMatch(/<script|<link|src=/i);
  });

  it('an unknown code is a 404 page', async () => {
    const response = await exports.default.fetch('https://bot.example/facebook/deletion?code=ffffffffffffffffffffffffffffffff');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('Unknown confirmation code');
  });

  it('a malformed code is a 404 page that does not echo it unescaped', async () => {
    const response = await exports.default.fetch(`https://bot.example/facebook/deletion?code=${encodeURIComponent('<script>x</script>')}`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('<script>');
  });

  it('without a code it is a 400 page', async () => {
    const response = await exports.default.fetch('https://bot.example/facebook/deletion');
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Missing confirmation code');
  });
});
