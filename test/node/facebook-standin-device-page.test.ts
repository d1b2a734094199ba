import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock, type ManualClock } from '../../scripts/lib/clock.ts';
import { startFacebookStandin, type FacebookStandin } from '../../scripts/standins/facebook.ts';
import { call, postForm } from '../support/node/http.ts';

let clock: ManualClock;
let facebook: FacebookStandin;
beforeEach(async () => {
  clock = manualClock(1_800_000_000_000);
  facebook = await startFacebookStandin({
    now: clock.now,
    identities: [{ name: 'Alice Example' }, { name: 'Mallory <script>alert(1)</script>' }],
  });
});
afterEach(() => facebook.close());

async function start() {
  const access_token = `${facebook.appId}|${facebook.clientToken}`;
  const reply = await postForm(`${facebook.graphUrl}/device/login`, { access_token });
  return { ...(reply.json as { code: string; user_code: string }), access_token };
}

const submit = (fields: Record<string, string>) => postForm(`${facebook.url}/device`, fields);

describe('Facebook stand-in: the /device page', () => {
  it('is a self-contained form, pre-filled from ?user_code=, offering the test identities (escaped)', async () => {
    const page = await call(`${facebook.url}/device?user_code=ABCD2345`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toMatch(/<form method="post" action="\/device">/);
    expect(page.text).toContain('name="user_code" value="ABCD2345"');
    expect(page.text).toContain('<input type="radio" name="identity" value="Alice Example" checked>');
    const picture = /<img src="(\/pictures\/\d+\.svg)" alt=""> Alice Example/.exec(page.text)![1]!;
    expect((await call(`${facebook.url}${picture}`)).headers.get('content-type')).toBe('image/svg+xml');
    expect(page.text).toContain('Mallory &lt;script&gt;');
    expect(page.text).not.toContain('<script');
    expect(page.text).toMatch(/value="continue"/);
    expect(page.text).toMatch(/value="cancel"/);
    // Nothing is loaded from anywhere: no external stylesheets, scripts or images.
    expect(page.text).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
  });

  it('Continue as an identity approves the code, and the next poll logs in as that identity', async () => {
    const { code, user_code, access_token } = await start();
    const done = await submit({ user_code: user_code.toLowerCase(), identity: 'Alice Example', action: 'continue' });
    expect(done.status).toBe(200);
    expect(done.text).toContain('Alice Example');
    expect(facebook.deviceLogin(user_code)).toMatchObject({ state: 'approved', identity: { name: 'Alice Example' } });
    const token = (await postForm(`${facebook.graphUrl}/device/login_status`, { access_token, code })).json.access_token;
    const profile = await call(`${facebook.graphUrl}/me?access_token=${token}`);
    expect(profile.json.name).toBe('Alice Example');
  });

  it('Cancel declines the code', async () => {
    const { user_code } = await start();
    const done = await submit({ user_code, action: 'cancel' });
    expect(done.status).toBe(200);
    expect(facebook.deviceLogin(user_code)!.state).toBe('declined');
  });

  it('shows the form again with a reason for a wrong, expired or used code, or an unknown identity', async () => {
    const wrong = await submit({ user_code: 'NOPE2345', identity: 'Alice Example', action: 'continue' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('role="alert"');
    expect(wrong.text).toContain('name="user_code" value="NOPE2345"');

    const { user_code } = await start();
    const stranger = await submit({ user_code, identity: 'Eve Unknown', action: 'continue' });
    expect(stranger.status).toBe(400);
    expect(facebook.deviceLogin(user_code)!.state).toBe('pending');

    clock.advance(420_000);
    const expired = await submit({ user_code, identity: 'Alice Example', action: 'continue' });
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('expired');
  });
});
