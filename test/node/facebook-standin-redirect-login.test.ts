import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { DialogError, startFacebookStandin, type FacebookStandin } from '../../scripts/standins/facebook.ts';
import { call, getWithQuery, postForm } from '../support/node/http.ts';

const REDIRECT_URI = 'https://bot.example/auth/facebook/callback';

let clock: ManualClock;
let facebook: FacebookStandin;
beforeEach(async () => {
  clock = manualClock(1_800_000_000_000);
  facebook = await startFacebookStandin({ now: clock.now, redirectUris: [REDIRECT_URI] });
});
afterEach(() => facebook.close());

function dialogUrl(params: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    client_id: facebook.appId,
    redirect_uri: REDIRECT_URI,
    state: 'st4te-123',
    scope: 'public_profile,email',
    response_type: 'code',
    ...params,
  });
  return `${facebook.url}/v25.0/dialog/oauth?${query}`;
}

/** The query of a redirect Location, checking it goes to `redirectUri` with Facebook's `#_=_`. */
function redirectQuery(location: string, redirectUri = REDIRECT_URI): Record<string, string> {
  const url = new URL(location);
  expect(`${url.origin}${url.pathname}`).toBe(redirectUri);
  expect(url.hash).toBe('#_=_');
  return Object.fromEntries(url.searchParams);
}

function exchange(params: Record<string, string>, method: 'GET' | 'POST' = 'GET') {
  const full = { client_id: facebook.appId, redirect_uri: REDIRECT_URI, client_secret: facebook.appSecret, ...params };
  return method === 'GET' ? getWithQuery(`${facebook.graphUrl}/oauth/access_token`, full) : postForm(`${facebook.graphUrl}/oauth/access_token`, full);
}

describe('Facebook stand-in: the login dialog page', () => {
  it('shows a self-contained page with the identities, a box per optional permission, Continue and Cancel', async () => {
    const page = await call(dialogUrl());
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('<form method="post" action="/v25.0/dialog/oauth">');
    expect(page.text).toContain(`<input type="hidden" name="redirect_uri" value="${REDIRECT_URI}">`);
    expect(page.text).toContain('<input type="hidden" name="state" value="st4te-123">');
    expect(page.text).toContain('<input type="radio" name="identity" value="Alice Example" checked>');
    expect(page.text).toContain('name="grant.email"');
    expect(page.text).toMatch(/value="continue"/);
    expect(page.text).toMatch(/value="cancel"/);
    expect(page.text).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
  });

  it('Continue redirects (302) to the redirect_uri with a code and the state; the code buys a working token', async () => {
    const page = await call(dialogUrl());
    expect(page.status).toBe(200);
    const submitted = await call(`${facebook.url}/v25.0/dialog/oauth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: facebook.appId,
        redirect_uri: REDIRECT_URI,
        state: 'st4te-123',
        scope: 'public_profile,email',
        response_type: 'code',
        identity: 'Bob Example',
        offered: 'email',
        'grant.email': '1',
        action: 'continue',
      }).toString(),
      redirect: 'manual',
    });
    expect(submitted.status).toBe(302);
    expect(submitted.headers.get('referrer-policy')).toBe('no-referrer');
    const query = redirectQuery(submitted.headers.get('location')!);
    expect(Object.keys(query).sort()).toEqual(['code', 'state']);
    expect(query.state).toBe('st4te-123');
    expect(query.code).toMatch(/^AQ[\w-]{40,}$/);

    const reply = await exchange({ code: query.code! });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ access_token: expect.stringMatching(/^EAAB/), token_type: 'bearer', expires_in: 5183944 });
    const me = await getWithQuery(`${facebook.graphUrl}/me`, { fields: 'id,name,email', access_token: reply.json.access_token });
    expect(me.json).toEqual({ id: facebook.userIdFor('Bob Example'), name: 'Bob Example', email: 'bob@example.test' });
  });

  it("Cancel redirects with Facebook's documented user_denied error and the state", async () => {
    const submitted = await call(`${facebook.url}/v25.0/dialog/oauth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: facebook.appId, redirect_uri: REDIRECT_URI, state: 'abc', action: 'cancel' }).toString(),
      redirect: 'manual',
    });
    expect(submitted.status).toBe(302);
    const location = submitted.headers.get('location')!;
    expect(location).toBe(
      `${REDIRECT_URI}?error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied&state=abc#_=_`,
    );
    expect(facebook.redirectLogins()).toMatchObject([{ decision: 'declined', state: 'abc', identity: undefined }]);
  });

  it('never redirects to an unknown app or an unregistered redirect_uri: an error page instead', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ client_id: '123' }, 'Invalid App ID'],
      [{ redirect_uri: 'https://evil.example/steal' }, 'URL blocked'],
      [{ redirect_uri: `${REDIRECT_URI}/` }, 'URL blocked'],
      [{ redirect_uri: '' }, 'redirect_uri parameter is missing'],
      [{ response_type: 'token' }, 'response_type=code only'],
    ];
    for (const [params, text] of cases) {
      for (const method of ['GET', 'POST'] as const) {
        const url = dialogUrl(params);
        const reply =
          method === 'GET'
            ? await call(url, { redirect: 'manual' })
            : await call(url, { method: 'POST', body: new URLSearchParams({ action: 'continue', identity: 'Alice Example' }), redirect: 'manual' });
        expect(reply.status).toBe(400);
        expect(reply.headers.get('location')).toBeNull();
        expect(reply.text).toContain(text);
      }
    }
    expect(facebook.redirectLogins()).toEqual([]);
  });

  it('allowRedirectUri registers a URI after start (the Worker\'s URL is known only then)', async () => {
    const later = 'http://127.0.0.1:8787/auth/facebook/callback';
    expect((await call(dialogUrl({ redirect_uri: later }))).status).toBe(400);
    facebook.allowRedirectUri(later);
    expect((await call(dialogUrl({ redirect_uri: later }))).status).toBe(200);
  });
});

describe('Facebook stand-in: authorize() and the code exchange', () => {
  it('authorize() approves and answers the Location; GET and POST exchanges both work', async () => {
    for (const method of ['GET', 'POST'] as const) {
      const location = await facebook.authorize(dialogUrl(), { name: 'Alice Example' }, 'approve');
      const { code, state } = redirectQuery(location);
      expect(state).toBe('st4te-123');
      const reply = await exchange({ code: code! }, method);
      expect(reply.status).toBe(200);
      expect(reply.json.token_type).toBe('bearer');
    }
    expect(facebook.redirectLogins().map((login) => login.exchangedAt)).toEqual([clock.now(), clock.now()]);
  });

  it('authorize() with decline answers the user_denied Location; with a bad request it throws DialogError', async () => {
    const declined = redirectQuery(await facebook.authorize(dialogUrl(), { name: 'Alice Example' }, 'decline'));
    expect(declined).toEqual({
      error: 'access_denied',
      error_code: '200',
      error_description: 'Permissions error',
      error_reason: 'user_denied',
      state: 'st4te-123',
    });
    await expect(facebook.authorize(dialogUrl({ redirect_uri: 'https://evil.example/' }), { name: 'Alice Example' }, 'approve')).rejects.toThrow(
      DialogError,
    );
    await expect(facebook.authorize(dialogUrl({ client_id: '1' }), { name: 'Alice Example' }, 'approve')).rejects.toMatchObject({
      problem: 'invalid_app_id',
    });
  });

  it('authorize() records granted scopes, and the token reports them in /me permissions', async () => {
    const { code } = redirectQuery(await facebook.authorize(dialogUrl(), { name: 'Zoë Ångström' }, 'approve', { grantedScopes: [] }));
    const token = (await exchange({ code: code! })).json.access_token;
    const me = await getWithQuery(`${facebook.graphUrl}/me`, { fields: 'name,email,permissions', access_token: token });
    expect(me.json).toEqual({
      name: 'Zoë Ångström',
      permissions: { data: [{ permission: 'public_profile', status: 'granted' }, { permission: 'email', status: 'declined' }] },
      id: facebook.userIdFor('Zoë Ångström'),
    });
  });

  it('a code is single use: the second exchange gets code 100 subcode 36009', async () => {
    const { code } = redirectQuery(await facebook.authorize(dialogUrl(), { name: 'Alice Example' }, 'approve'));
    expect((await exchange({ code: code! })).status).toBe(200);
    const again = await exchange({ code: code! });
    expect(again.status).toBe(400);
    expect(again.json.error).toEqual({
      message: 'This authorization code has been used.',
      type: 'OAuthException',
      code: 100,
      error_subcode: 36009,
      fbtrace_id: expect.any(String),
    });
  });

  it('a code lives 10 minutes: afterwards code 100 subcode 36007', async () => {
    const { code } = redirectQuery(await facebook.authorize(dialogUrl(), { name: 'Alice Example' }, 'approve'));
    clock.advance(600_000);
    const late = await exchange({ code: code! });
    expect(late.status).toBe(400);
    expect(late.json.error).toEqual({
      message: 'This authorization code has expired.',
      type: 'OAuthException',
      code: 100,
      error_subcode: 36007,
      fbtrace_id: expect.any(String),
    });
  });

  it('a code that is still fresh after 9:59 works', async () => {
    const { code } = redirectQuery(await facebook.authorize(dialogUrl(), { name: 'Alice Example' }, 'approve'));
    clock.advance(599_999);
    expect((await exchange({ code: code! })).status).toBe(200);
  });

  it('refuses a wrong secret (code 1), another redirect_uri (100/36008), an unknown code (100), without using the code', async () => {
    const { code } = redirectQuery(await facebook.authorize(dialogUrl(), { name: 'Alice Example' }, 'approve'));
    const secret = await exchange({ code: code!, client_secret: 'not-the-secret' });
    expect(secret.status).toBe(400);
    expect(secret.json.error).toEqual({ message: 'Error validating client secret.', type: 'OAuthException', code: 1, fbtrace_id: expect.any(String) });

    const redirect = await exchange({ code: code!, redirect_uri: `${REDIRECT_URI}?x=1` });
    expect(redirect.status).toBe(400);
    expect(redirect.json.error).toEqual({
      message:
        'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
      type: 'OAuthException',
      code: 100,
      error_subcode: 36008,
      fbtrace_id: expect.any(String),
    });

    const unknown = await exchange({ code: 'AQnotacode' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatchObject({ message: 'Invalid verification code format.', code: 100 });

    const otherApp = await exchange({ code: code!, client_id: '111' });
    expect(otherApp.json.error).toMatchObject({ code: 101 });
    const noClient = await exchange({ code: code!, client_id: '' });
    expect(noClient.json.error).toMatchObject({ message: 'Missing client_id parameter.', code: 101 });

    // None of those used the code up.
    expect((await exchange({ code: code! })).status).toBe(200);
  });

  it('with PKCE (S256) the exchange needs the matching code_verifier', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const url = dialogUrl({ scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256', nonce: 'n-0S6_WzA2Mj' });
    const { code } = redirectQuery(await facebook.authorize(url, { name: 'Alice Example' }, 'approve'));

    for (const attempt of [{} as Record<string, string>, { code_verifier: 'wrong-verifier-wrong-verifier-wrong-verifier' }, { code_verifier: challenge }]) {
      const refused = await exchange({ code: code!, ...attempt });
      expect(refused.status).toBe(400);
      expect(refused.json.error).toEqual({ message: 'Invalid code verifier.', type: 'OAuthException', code: 100, fbtrace_id: expect.any(String) });
    }
    const reply = await exchange({ code: code!, code_verifier: verifier });
    expect(reply.status).toBe(200);
    expect(facebook.redirectLogins()[0]).toMatchObject({ withPkce: true, identity: { name: 'Alice Example' } });
  });

  it('the code is tied to the redirect_uri it was sent to; a later-registered URI works end to end', async () => {
    const later = 'http://127.0.0.1:8787/callback';
    facebook.allowRedirectUri(later);
    const { code } = redirectQuery(await facebook.authorize(dialogUrl({ redirect_uri: later }), { name: 'Alice Example' }, 'approve'), later);
    expect((await exchange({ code: code! })).json.error.error_subcode).toBe(36008);
    expect((await exchange({ code: code!, redirect_uri: later })).status).toBe(200);
  });
});
