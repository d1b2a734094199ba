/** GET /privacy: a plain, self-contained page saying what is stored, why, for how long, and how to delete it. */
import { createExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';

async function privacyPage(vars: Partial<typeof env> = {}): Promise<Response> {
  if (Object.keys(vars).length === 0) return exports.default.fetch('https://bot.example/privacy');
  return worker.fetch(new Request('https://bot.example/privacy') as never, { ...env, ...vars }, createExecutionContext());
}

describe('GET /privacy', () => {
  it('is an HTML page with no scripts or external assets, under a CSP that forbids them', async () => {
    const response = await privacyPage();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const page = await response.text();
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).not.toMatch(/<script|<link|<img|<iframe|src=/i);
    expect(new TextEncoder().encode(page).byteLength).toBeLessThan(8 * 1024);
  });

  it('names what is stored, that the access token is not, how long, and both ways to delete it', async () => {
    const page = await (await privacyPage()).text();
    for (const stored of ['your Discord user id', "the account&#39;s id at the provider", 'its display name', 'permissions you granted', 'when you linked']) {
      expect(page).toContain(stored);
    }
    expect(page).toContain('access token is not stored');
    expect(page).toContain('Until you remove the link');
    expect(page).toContain('run /logout');
    expect(page).toContain('href="https://www.facebook.com/settings?tab=applications"');
    expect(page).toContain('365 days');
  });

  it('lists the Discord authorization kept for Linked Roles: encrypted, why, how long, how to end it', async () => {
    const page = await (await privacyPage()).text();
    expect(page).toContain('access and refresh tokens');
    expect(page).toContain('encrypted under a key only the bot holds');
    expect(page).toContain('whenever your links change');
    expect(page).toContain('The Discord authorization for Linked Roles is kept until you remove your last link');
    expect(page).toContain('User Settings › Authorized Apps');
  });

  it('names the operator and links an e-mail contact', async () => {
    const page = await (await privacyPage()).text();
    expect(page).toContain('run by Example Bot Operator');
    expect(page).toContain('<a href="mailto:privacy@bot.example">privacy@bot.example</a>');
  });

  it('escapes everything interpolated from configuration', async () => {
    const response = await privacyPage({
      OPERATOR_NAME: '<script>alert(1)</script> & "Co"',
      OPERATOR_CONTACT: 'javascript:alert(1)" onclick="x',
    });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;');
    // Not an e-mail address or https URL: shown as text, never as a link.
    expect(page).not.toContain('href="javascript');
    expect(page).toContain('javascript:alert(1)&quot; onclick=&quot;x');
  });

  it('links an https contact URL, escaped', async () => {
    const page = await (await privacyPage({ OPERATOR_CONTACT: 'https://bot.example/contact?a=1&b=2' })).text();
    expect(page).toContain('<a href="https://bot.example/contact?a=1&amp;b=2">');
  });
});
