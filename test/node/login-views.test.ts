import { describe, expect, it } from 'vitest';
import { escapeMarkdown } from '../../src/discord/messages.ts';
import { facebookVerificationLink } from '../../src/providers/facebook.ts';
import type { RevokeOutcome } from '../../src/providers/types.ts';
import { translatorFor } from '../../src/i18n/locales.ts';
import type { Conclusion, DeviceCode, FailureReason, Session } from '../../src/login/session.ts';

const en = translatorFor('en');
import {
  cancelCustomId,
  cancelledMessage,
  codeMessage,
  conclusionMessage,
  erasedMessage,
  logoutMessage,
  minimalCodeMessage,
  notLinkedMessage,
  displayAddress,
  parseCancelCustomId,
  successMessage,
  verificationLink,
  type DiscordMessage,
} from '../../src/login/views.ts';

const session: Session = {
  id: 'AbCdEfGhIjKlMnOpQrStUv',
  provider: 'facebook',
  providerName: 'Facebook',
  providerColor: 0x1877f2,
  stats: { polls: 0, slowDowns: 0, transientFailures: 0, discordEdits: 0, discordRetries: 0 },
  discordUserId: '12345678901234567890',
  applicationId: '1',
  interactionToken: 'token',
  locale: 'en-US',
  startedAt: 0,
  failures: 0,
  codeShown: false,
  discordFailures: 0,
};
const device: DeviceCode = {
  deviceCode: 'secret',
  userCode: 'CMWAW3TM',
  verificationUri: 'https://www.facebook.com/device',
  issuedAt: 0,
  expiresAt: 420_000,
  intervalMs: 5_000,
};

/** Checks the limits from PLATFORM.md §4.5 that apply to the messages the bot sends. */
function expectWithinDiscordLimits(message: DiscordMessage) {
  expect((message.content ?? '').length).toBeLessThanOrEqual(2000);
  const embeds = message.embeds ?? [];
  expect(embeds.length).toBeLessThanOrEqual(10);
  let total = 0;
  for (const embed of embeds) {
    expect((embed.title ?? '').length).toBeLessThanOrEqual(256);
    expect((embed.description ?? '').length).toBeLessThanOrEqual(4096);
    expect((embed.fields ?? []).length).toBeLessThanOrEqual(25);
    for (const field of embed.fields ?? []) {
      expect(field.name.length).toBeLessThanOrEqual(256);
      expect(field.value.length).toBeLessThanOrEqual(1024);
      total += field.name.length + field.value.length;
    }
    expect((embed.footer?.text ?? '').length).toBeLessThanOrEqual(2048);
    total += (embed.title ?? '').length + (embed.description ?? '').length + (embed.footer?.text ?? '').length;
  }
  expect(total).toBeLessThanOrEqual(6000);
  const rows = (message.components ?? []) as Array<{ components: Array<{ label?: string; custom_id?: string; url?: string; style: number }> }>;
  expect(rows.length).toBeLessThanOrEqual(5);
  for (const row of rows) {
    expect(row.components.length).toBeLessThanOrEqual(5);
    for (const button of row.components) {
      expect((button.label ?? '').length).toBeLessThanOrEqual(80);
      if (button.style === 5) {
        expect(button.custom_id).toBeUndefined();
        expect(button.url!.length).toBeLessThanOrEqual(512);
        expect(button.url).toMatch(/^https?:\/\//);
      } else {
        expect(button.custom_id!.length).toBeGreaterThanOrEqual(1);
        expect(button.custom_id!.length).toBeLessThanOrEqual(100);
      }
    }
  }
}

describe('login messages', () => {
  it('the code message follows Facebook\'s device-login guidance and Discord\'s limits', () => {
    const message = codeMessage(session, device);
    expectWithinDiscordLimits(message);
    expect(message.embeds![0]!.title).toBe('Log in with Facebook');
    expect(message.allowed_mentions).toEqual({ parse: [] });
    expect(JSON.stringify(message)).not.toContain('"secret"');
  });

  it('the Cancel button\'s custom_id carries the owner and the session, and parses back', () => {
    const id = cancelCustomId(session.discordUserId, session.id);
    expect(id.length).toBeLessThanOrEqual(100);
    expect(parseCancelCustomId(id)).toEqual({ discordUserId: session.discordUserId, sessionId: session.id });
    expect(parseCancelCustomId('login-cancel:abc:x')).toBeUndefined();
    expect(parseCancelCustomId(`${id}:extra`)).toBeUndefined();
  });

  it("the link button opens the page with the code filled in where the provider has one (Facebook's ?user_code=, RFC 8628's verification_uri_complete)", () => {
    expect(facebookVerificationLink('https://www.facebook.com/device', 'CMWAW3TM')).toBe('https://www.facebook.com/device?user_code=CMWAW3TM');
    expect(facebookVerificationLink('http://127.0.0.1:8787/device', 'A B')).toBe('http://127.0.0.1:8787/device?user_code=A+B');
    expect(verificationLink({ verificationUri: 'https://www.microsoft.com/link', verificationUriComplete: undefined })).toBe('https://www.microsoft.com/link');
    expect(verificationLink({ verificationUri: 'https://idp/device', verificationUriComplete: 'https://idp/device?user_code=X' })).toBe('https://idp/device?user_code=X');
    expect(displayAddress('https://www.facebook.com/device')).toBe('facebook.com/device');
  });

  it('with a browser login, the code message has a second link button to it, within the limits', () => {
    const url = `https://bot.example/auth/facebook/start?t=${'a'.repeat(64)}.${'B'.repeat(22)}`;
    const message = codeMessage({ ...session, providerName: 'A'.repeat(60) }, device, url);
    expectWithinDiscordLimits(message);
    const buttons = (message.components![0] as { components: Array<{ label: string; url?: string }> }).components;
    expect(buttons.map((b) => b.url)).toEqual([device.verificationUri, url, undefined]);
  });

  it('a very long or markdown-laden Facebook name stays within limits and shows literally', () => {
    const name = `**${'N'.repeat(400)}** @everyone`;
    const message = successMessage(session, { name, avatarUrl: 'https://example.com/p.jpg' }, 'Moved from another account.');
    expectWithinDiscordLimits(message);
    expect(message.embeds![0]!.title!.endsWith('…')).toBe(true);
    expect(message.embeds![0]!.title!.startsWith('Logged in as \\*\\*NNN')).toBe(true);
    expect(message.embeds![0]!.description).toContain('\\*\\*');
    expect(message.components).toEqual([]);
    expect(escapeMarkdown('a_b*c`d')).toBe('a\\_b\\*c\\`d');
  });

  it('the success title shows a markdown-laden name literally: every markdown character escaped', () => {
    const title = (name: string) => successMessage(session, { name, avatarUrl: undefined }, undefined).embeds![0]!.title;
    expect(title('Ada Lovelace')).toBe('Logged in as Ada Lovelace');
    expect(title('__Ada__ *the* `first` ~~x~~ <@1> [a](b)')).toBe(
      'Logged in as \\_\\_Ada\\_\\_ \\*the\\* \\`first\\` \\~\\~x\\~\\~ \\<\\@1\\> \\[a\\]\\(b\\)',
    );
    // Even a name of nothing but markdown characters fits the 256-character title once escaped.
    expect(title('*'.repeat(400))!.length).toBeLessThanOrEqual(256);
  });

  it('every concluding message, every failure reason included, removes the buttons and stays within limits', () => {
    // A Record over the type: a new failure reason that is not listed here fails the type check.
    const reasons: Record<FailureReason, true> = {
      'provider-unavailable': true,
      'provider-rejected': true,
      'provider-error': true,
      'code-rejected': true,
      'profile-unavailable': true,
      'link-unavailable': true,
    };
    const conclusions: Conclusion[] = [
      { kind: 'declined' },
      { kind: 'expired' },
      { kind: 'replaced' },
      ...(Object.keys(reasons) as FailureReason[]).map((reason) => ({ kind: 'failed', reason }) as const),
    ];
    const titles = new Set<string>();
    for (const conclusion of conclusions) {
      const message = conclusionMessage(conclusion, session);
      expectWithinDiscordLimits(message);
      expect(message.components).toEqual([]);
      titles.add(`${message.embeds![0]!.title}: ${message.embeds![0]!.description}`);
    }
    // Each conclusion says something of its own.
    expect(titles.size).toBe(conclusions.length);
  });

  it('the plain-text fallback, cancel, erased and every /logout outcome stay within limits and show no buttons', () => {
    const outcomes: RevokeOutcome[] = [
      { kind: 'revoked' },
      { kind: 'refused', status: 400, code: 190 },
      { kind: 'provider-error', status: 502 },
      { kind: 'timeout', timeoutMs: 5_000 },
      { kind: 'unreachable' },
      { kind: 'not-supported' },
    ];
    const look = { name: 'Facebook', appSettingsUrl: 'https://www.facebook.com/settings?tab=applications' };
    const messages = [
      minimalCodeMessage(session, device),
      cancelledMessage(en),
      erasedMessage(en, 'Facebook'),
      notLinkedMessage(en, look),
      ...outcomes.map((outcome) => logoutMessage(en, look, { name: '*'.repeat(500) }, outcome)),
      ...outcomes.map((outcome) => logoutMessage(en, { name: 'Example SSO', appSettingsUrl: undefined }, { name: 'x' }, outcome)),
    ];
    for (const message of messages) {
      expectWithinDiscordLimits(message);
      expect(message.components).toEqual([]);
    }
    expect(minimalCodeMessage(session, device).content).toContain('CMWAW3TM');
    expect(JSON.stringify(minimalCodeMessage(session, device))).not.toContain('"secret"');
  });
});
