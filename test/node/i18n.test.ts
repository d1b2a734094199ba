/**
 * Every shipped catalog, checked as Discord and the readers will meet it: each login and logout message rendered
 * in that language fits Discord's limits with nothing left unfilled, no English is left behind, plural forms match
 * the language's plural rules, every text names the commands by the names registered for that language, and the
 * registration payload obeys Discord's rules for localized names. Then which catalog a person gets.
 */
import { describe, expect, it } from 'vitest';
import { commandList } from '../../src/discord/commands.ts';
import { escapeMarkdown } from '../../src/discord/messages.ts';
import type { MessageKey } from '../../src/i18n/catalog.ts';
import { en } from '../../src/i18n/en.ts';
import { DISCORD_LOCALES, LOCALES, localeFromAcceptLanguage, localeFromDiscord, translatorFor, type Locale } from '../../src/i18n/locales.ts';
import type { Conclusion, DeviceCode, FailureReason, Session } from '../../src/login/session.ts';
import {
  cancelledMessage,
  codeMessage,
  conclusionMessage,
  erasedMessage,
  logoutMessage,
  minimalCodeMessage,
  notLinkedMessage,
  successMessage,
  type DiscordMessage,
  type ProviderLook,
} from '../../src/login/views.ts';
import type { RevokeOutcome } from '../../src/providers/types.ts';
import { CATALOGS, DISCORD_LOCALE_CODES, discordLimitViolations, isPlural, leftovers, placeholdersOf, stringsIn, textsOf, type Entry } from '../support/node/i18n.ts';

const KEYS = Object.keys(en) as MessageKey[];

/**
 * Keys whose text may equal the English one in any catalog, because it is a name or a code, not a sentence.
 * Keep it small: everything else a person reads must be in their language.
 */
const SAME_AS_ENGLISH: Partial<Record<MessageKey, string>> = {
  'command.ping.name': 'a command name; "ping" is the word people type in many languages (Discord ignores a localization equal to the default)',
  pong: 'the answer to ping, an interjection spelled the same in many languages',
};

/**
 * Texts that equal the English one in one language only because that language spells the word the same (Spanish
 * "no"). Each needs its reason; none is needed today.
 */
const SPELLED_THE_SAME: Partial<Record<Locale, Partial<Record<MessageKey, string>>>> = {
  es: { 'roles.no': 'the Spanish for "no" is "no"' },
};

/** Keys of texts shown on web pages (plain text); every other text is a Discord message (markdown). */
const isPageText = (key: MessageKey) => /^(page|roles|privacy|deletion)\./.test(key);

// ---------------------------------------------------------------------------------------------------------------
// Fixtures for the message builders: the worst a real login can bring.

const device: DeviceCode = {
  deviceCode: 'secret',
  userCode: 'CMWAW3TM',
  verificationUri: 'https://www.facebook.com/device',
  verificationUriComplete: 'https://www.facebook.com/device?user_code=CMWAW3TM',
  issuedAt: 0,
  expiresAt: 420_000,
  intervalMs: 5_000,
};
const browserUrl = `https://bot.example/auth/facebook/start?t=${'a'.repeat(64)}.${'B'.repeat(22)}`;
/** 400 characters of markdown, mentions and emphasis: escaping doubles most of it. */
const hostileName = '**Ada_Lovelace** `x` ~~y~~ <@123> [a](b) # |z| _-_ '.repeat(8).slice(0, 400);
/** The longest provider name the configuration allows (OIDC_NAME, 40 characters), every character escaped. */
const longProvider = '*_'.repeat(20);

function sessionIn(locale: Locale, providerName: string): Session {
  return {
    id: 'AbCdEfGhIjKlMnOpQrStUv',
    provider: 'facebook',
    providerName,
    providerColor: 0x1877f2,
    stats: { polls: 0, slowDowns: 0, transientFailures: 0, discordEdits: 0, discordRetries: 0 },
    discordUserId: '12345678901234567890',
    applicationId: '1',
    interactionToken: 'token',
    locale,
    startedAt: 0,
    failures: 0,
    codeShown: false,
    discordFailures: 0,
  };
}

// Records over the types: a new failure reason or revoke outcome that is not listed here fails the type check.
const FAILURES: Record<FailureReason, true> = {
  'provider-unavailable': true,
  'provider-rejected': true,
  'provider-error': true,
  'code-rejected': true,
  'profile-unavailable': true,
  'link-unavailable': true,
};
const OUTCOMES: Record<RevokeOutcome['kind'], RevokeOutcome[]> = {
  revoked: [{ kind: 'revoked' }],
  refused: [
    { kind: 'refused', status: 400, code: undefined },
    { kind: 'refused', status: 400, code: 190 },
  ],
  'provider-error': [{ kind: 'provider-error', status: 503 }],
  timeout: [
    { kind: 'timeout', timeoutMs: 1_000 },
    { kind: 'timeout', timeoutMs: 21_000 },
    { kind: 'timeout', timeoutMs: 5_000 },
  ],
  unreachable: [{ kind: 'unreachable' }],
  'not-supported': [{ kind: 'not-supported' }],
};

/** Every message src/login/views.ts builds, in `locale`, with both an ordinary and the longest provider name. */
function everyMessage(locale: Locale): Array<{ name: string; message: DiscordMessage }> {
  const t = translatorFor(locale);
  const out: Array<{ name: string; message: DiscordMessage }> = [];
  for (const provider of ['Facebook', longProvider]) {
    const session = sessionIn(locale, provider);
    const add = (name: string, message: DiscordMessage) => out.push({ name: `${name} (provider ${JSON.stringify(provider)})`, message });
    add('code message', codeMessage(session, device));
    add('code message with the browser button', codeMessage(session, device, browserUrl));
    add('minimal code message', minimalCodeMessage(session, device));
    // Both lines src/links/link-note.ts can write (importing it would bring D1's Worker-only types into Node).
    const note = [t.t('success.relinked', { provider: escapeMarkdown(provider) }), t.t('success.moved', { provider: escapeMarkdown(provider), user: '<@98765432109876543210>' })].join('\n');
    const success = successMessage(session, { name: hostileName, avatarUrl: 'https://example.com/p.jpg' }, note);
    add('success with a 400-character name and a link note', success);
    add('success with a plain name', successMessage(session, { name: 'Ada Lovelace', avatarUrl: undefined }, undefined));
    const conclusions: Conclusion[] = [
      { kind: 'success', message: success },
      { kind: 'declined' },
      { kind: 'expired' },
      { kind: 'replaced' },
      ...(Object.keys(FAILURES) as FailureReason[]).map((reason) => ({ kind: 'failed', reason }) as const),
    ];
    for (const conclusion of conclusions) add(`conclusion ${conclusion.kind === 'failed' ? `failed: ${conclusion.reason}` : conclusion.kind}`, conclusionMessage(conclusion, session));
    add('cancelled', cancelledMessage(t));
    add('erased', erasedMessage(t, provider));
    const looks: ProviderLook[] = [
      { name: provider, appSettingsUrl: 'https://www.facebook.com/settings?tab=applications' },
      { name: provider, appSettingsUrl: undefined },
    ];
    for (const look of looks) {
      const where = look.appSettingsUrl ? 'with a settings URL' : 'without a settings URL';
      for (const outcome of Object.values(OUTCOMES).flat()) {
        add(`/logout ${outcome.kind}${'code' in outcome && outcome.code !== undefined ? ' with code' : ''}${'timeoutMs' in outcome ? ` ${outcome.timeoutMs} ms` : ''}, ${where}`, logoutMessage(t, look, { name: hostileName }, outcome));
      }
      add(`not linked, ${where}`, notLinkedMessage(t, look));
    }
  }
  return out;
}

/** Dummy values for a text's placeholders: plain words, so anything in braces afterwards was never filled. */
const dummies = (text: string) => Object.fromEntries(placeholdersOf(text).map((name) => [name, `[${name}]`]));

/** Numbers that reach every plural category of the shipped languages (1.5 is `other` where integers are not). */
const COUNTS = [0, 1, 2, 3, 4, 5, 11, 12, 21, 22, 25, 101, 111, 1_000_000, 1.5];

// ---------------------------------------------------------------------------------------------------------------
// Command names, read from the catalogs: which texts mention which command.

interface CommandNames {
  /** en.ts key part (`login`) -> this catalog's command name. */
  commands: Map<string, string>;
  /** en.ts key part (`login`) -> option key part (`provider`) -> this catalog's option name. */
  options: Map<string, Map<string, string>>;
}

function commandNames(locale: Locale): CommandNames {
  const texts = CATALOGS[locale];
  const commands = new Map<string, string>();
  const options = new Map<string, Map<string, string>>();
  for (const key of KEYS) {
    const command = /^command\.(\w+)\.name$/.exec(key);
    if (command) commands.set(command[1]!, texts[key] as string);
    const option = /^command\.(\w+)\.(\w+)\.name$/.exec(key);
    if (option) {
      if (!options.has(option[1]!)) options.set(option[1]!, new Map());
      options.get(option[1]!)!.set(option[2]!, texts[key] as string);
    }
  }
  return { commands, options };
}

/** `/name` where it names a command: not inside a word, a path or a URL (`and/or`, `https://…/device`). */
const MENTION = /(?<![\p{L}\p{N}_\/.:<>=-])\/([-_'\p{L}\p{N}]+)(?: ([-_\p{L}\p{N}]+):)?/gu;

// ---------------------------------------------------------------------------------------------------------------

describe.each(LOCALES)('the %s catalog', (locale) => {
  const texts = CATALOGS[locale];

  it('renders every login and logout message within Discord\'s limits, with every placeholder filled', () => {
    const problems: string[] = [];
    for (const { name, message } of everyMessage(locale)) {
      for (const violation of discordLimitViolations(message)) problems.push(`${name}: ${violation}`);
      for (const { path, text } of stringsIn(message)) for (const leftover of leftovers(text)) problems.push(`${name}: ${path}: ${leftover}`);
    }
    expect(problems).toEqual([]);
  });

  it('fits its button labels into 80 characters without the cut the views make as a last resort', () => {
    // The views truncate labels to 80, so an overlong label would pass the limits above, cut off mid-word.
    const t = translatorFor(locale);
    const labels = {
      'code.open': t.t('code.open', { address: 'x'.repeat(60) }), // views.ts cuts the address to 60
      'code.browser': t.t('code.browser', { provider: longProvider }),
      'code.cancel': t.t('code.cancel'),
    };
    for (const [key, label] of Object.entries(labels)) expect(label.length, `${key}: ${JSON.stringify(label)}`).toBeLessThanOrEqual(80);
  });

  it('has every English key, of the same kind, with the same placeholders, and no other key', () => {
    expect(Object.keys(texts).sort()).toEqual([...KEYS].sort());
    const problems: string[] = [];
    for (const key of KEYS) {
      const english: Entry = en[key];
      const entry = texts[key];
      const kind = (e: Entry) => (typeof e === 'string' ? 'text' : Array.isArray(e) ? 'list' : 'plural');
      if (kind(entry) !== kind(english)) {
        problems.push(`${key}: a ${kind(entry)}, English has a ${kind(english)}`);
        continue;
      }
      const wanted = new Set(textsOf(english).flatMap(({ text }) => placeholdersOf(text)));
      for (const { where, text } of textsOf(entry)) {
        const have = new Set(placeholdersOf(text));
        // A list item or plural form may use fewer placeholders than the entry as a whole, never others.
        for (const name of have) if (!wanted.has(name) && !(isPlural(entry) && name === 'count')) problems.push(`${key}${where}: {${name}} is not a placeholder of the English text`);
        if (typeof entry === 'string') for (const name of wanted) if (!have.has(name)) problems.push(`${key}: {${name}} is missing`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('renders every text, with values for its placeholders, leaving no {…} and no "undefined"; Discord texts fit a message', () => {
    const t = translatorFor(locale);
    const problems: string[] = [];
    for (const key of KEYS) {
      const entry = texts[key];
      const rendered: Array<{ where: string; text: string }> = [];
      if (typeof entry === 'string') rendered.push({ where: '', text: t.t(key as never, dummies(entry)) });
      else if (Array.isArray(entry)) rendered.push(...t.items(key as never).map((text, index) => ({ where: `[${index}]`, text })));
      else {
        const params = dummies(textsOf(entry).map(({ text }) => text).join(' '));
        delete params.count;
        for (const count of COUNTS) rendered.push({ where: ` (count ${count})`, text: t.plural(key as never, count, params) });
      }
      for (const { where, text } of rendered) {
        if (text.trim() === '') problems.push(`${key}${where}: empty`);
        for (const leftover of leftovers(text)) problems.push(`${key}${where}: ${leftover} in ${JSON.stringify(text)}`);
        if (!isPageText(key) && text.length > 2000) problems.push(`${key}${where}: ${text.length} characters, more than a message holds`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives each plural entry exactly the plural categories of the language', () => {
    const categories = [...new Intl.PluralRules(locale).resolvedOptions().pluralCategories].sort();
    expect(categories).toContain('other');
    const problems: string[] = [];
    for (const key of KEYS) {
      const entry = texts[key];
      if (!isPlural(en[key])) continue;
      if (!isPlural(entry)) {
        problems.push(`${key}: not a plural entry`);
        continue;
      }
      const have = Object.keys(entry).sort();
      if (have.join() !== categories.join()) problems.push(`${key}: has ${have.join(', ')}; ${locale} needs ${categories.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it.skipIf(locale === 'en')('leaves no English text untranslated (but for names and codes)', () => {
    const allowed = { ...SAME_AS_ENGLISH, ...SPELLED_THE_SAME[locale] };
    const untranslated: string[] = [];
    for (const key of KEYS) {
      if (allowed[key]) continue;
      const english = new Set(textsOf(en[key]).map(({ text }) => text));
      for (const { where, text } of textsOf(texts[key])) if (english.has(text)) untranslated.push(`${key}${where}: ${JSON.stringify(text)}`);
    }
    expect(untranslated).toEqual([]);
  });

  it('names every command in its texts by this language\'s command names (`/login` only where it is called login)', () => {
    const { commands, options } = commandNames(locale);
    const byName = new Map([...commands].map(([key, name]) => [name, key]));
    const problems: string[] = [];
    for (const key of KEYS) {
      for (const { where, text } of textsOf(texts[key])) {
        for (const [, name, option] of text.matchAll(MENTION)) {
          const command = byName.get(name!);
          if (command === undefined) {
            const meant = [...commands].find(([english]) => en[`command.${english}.name` as MessageKey] === name);
            problems.push(`${key}${where}: mentions /${name}, ${meant ? `which this catalog calls /${meant[1]}` : 'which is no command here'}`);
            continue;
          }
          if (option === undefined) continue;
          const names = options.get(command) ?? new Map<string, string>();
          if (![...names.values()].includes(option)) problems.push(`${key}${where}: /${name} has no option "${option}" here (its options: ${[...names.values()].join(', ') || 'none'})`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('the registration payload (PLATFORM.md §4.6)', () => {
  const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
  const codes = Object.entries(DISCORD_LOCALES).flatMap(([locale, list]) => list.map((code) => ({ code, locale: locale as Locale })));
  const chars = (text: string) => [...text].length;

  interface Localized {
    name: string;
    description: string;
    name_localizations?: Record<string, string> | null;
    description_localizations?: Record<string, string> | null;
    options?: Localized[];
    choices?: Array<{ name: string; value: string | number; name_localizations?: Record<string, string> | null }>;
  }
  const list = commandList() as unknown as Localized[];
  /** The command and its options (and their options, for subcommands), each with a label for messages. */
  const parts = (command: Localized) => {
    const out: Array<{ label: string; part: Localized }> = [{ label: `/${command.name}`, part: command }];
    const walk = (options: Localized[] | undefined, prefix: string) => {
      for (const option of options ?? []) {
        out.push({ label: `${prefix} ${option.name}`, part: option });
        walk(option.options, `${prefix} ${option.name}`);
      }
    };
    walk(command.options, `/${command.name}`);
    return out;
  };

  it('maps every catalog to locale codes Discord knows', () => {
    for (const { code } of codes) expect(DISCORD_LOCALE_CODES).toContain(code);
    expect(new Set(codes.map(({ locale }) => locale))).toEqual(new Set(LOCALES.filter((locale) => locale !== 'en')));
  });

  it('localizes the name and description of every command and option in every mapped Discord locale', () => {
    const problems: string[] = [];
    for (const command of list) {
      for (const { label, part } of parts(command)) {
        for (const { code } of codes) {
          if (!part.name_localizations?.[code]) problems.push(`${label}: no name for ${code}`);
          if (!part.description_localizations?.[code]) problems.push(`${label}: no description for ${code}`);
        }
        for (const field of [part.name_localizations, part.description_localizations]) {
          for (const code of Object.keys(field ?? {})) if (!(DISCORD_LOCALE_CODES as readonly string[]).includes(code)) problems.push(`${label}: ${code} is not a Discord locale`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has names Discord accepts: lowercase, 1–32 letters, digits, - _ \' only', () => {
    const problems: string[] = [];
    for (const command of list) {
      for (const { label, part } of parts(command)) {
        const names = [{ code: 'default', locale: 'en', name: part.name }, ...codes.map(({ code, locale }) => ({ code, locale, name: part.name_localizations?.[code] ?? part.name }))];
        for (const { code, locale, name } of names) {
          if (!NAME.test(name)) problems.push(`${label} [${code}]: "${name}" does not match Discord's name pattern`);
          if (chars(name) < 1 || chars(name) > 32) problems.push(`${label} [${code}]: "${name}" is ${chars(name)} characters`);
          if (name !== name.toLowerCase() || name !== name.toLocaleLowerCase(locale)) problems.push(`${label} [${code}]: "${name}" is not lowercase`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has descriptions of 1–100 characters in every locale', () => {
    const problems: string[] = [];
    for (const command of list) {
      for (const { label, part } of parts(command)) {
        for (const [code, description] of [['default', part.description], ...Object.entries(part.description_localizations ?? {})] as Array<[string, string]>) {
          if (chars(description) < 1 || chars(description) > 100) problems.push(`${label} [${code}]: description of ${chars(description)} characters: ${JSON.stringify(description)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('keeps command names unique in every locale, and option names unique within their command', () => {
    const problems: string[] = [];
    for (const code of ['default', ...codes.map(({ code }) => code)]) {
      const nameIn = (part: Localized) => (code === 'default' ? part.name : (part.name_localizations?.[code] ?? part.name));
      const seen = new Map<string, string>();
      for (const command of list) {
        const name = nameIn(command);
        if (seen.has(name)) problems.push(`[${code}] /${command.name} and /${seen.get(name)} are both called "${name}"`);
        seen.set(name, command.name);
        // Discord: a localized option name must differ from the command's other options' names in that locale and
        // from their default names.
        const options = command.options ?? [];
        options.forEach((option, i) => {
          for (const other of options.slice(i + 1)) {
            if (nameIn(option) === nameIn(other) || nameIn(option) === other.name || nameIn(other) === option.name) problems.push(`[${code}] /${command.name}: options ${option.name} and ${other.name} clash`);
          }
        });
      }
    }
    expect(problems).toEqual([]);
  });

  it("keeps each command within Discord's 8000 characters (the longest localization of each field counts)", () => {
    // Discord: "a maximum of 8000 characters for combined name, description, and value properties for each command,
    // its options (including subcommands and groups), and choices. When localization fields are present, only the
    // longest localization for each field (including the default value) is counted."
    const longest = (base: string, localizations: Record<string, string> | null | undefined) => Math.max(chars(base), ...Object.values(localizations ?? {}).map(chars));
    for (const command of list) {
      let total = 0;
      for (const { part } of parts(command)) {
        total += longest(part.name, part.name_localizations) + longest(part.description, part.description_localizations);
        for (const choice of part.choices ?? []) total += longest(choice.name, choice.name_localizations) + chars(String(choice.value));
      }
      expect(total, `/${command.name}`).toBeGreaterThan(0);
      expect(total, `/${command.name}`).toBeLessThanOrEqual(8000);
    }
  });
});

describe('which catalog a person gets', () => {
  it('in Discord: the user\'s locale, then the server\'s, else English', () => {
    expect(localeFromDiscord('de', 'fr')).toBe('de');
    expect(localeFromDiscord(undefined, 'ja')).toBe('ja');
    expect(localeFromDiscord('en-GB')).toBe('en');
    expect(localeFromDiscord('en-US', 'de')).toBe('en');
    expect(localeFromDiscord('es-419')).toBe('es');
    expect(localeFromDiscord('es-ES')).toBe('es');
    expect(localeFromDiscord('pt-BR')).toBe('pt-BR');
    expect(localeFromDiscord('ru')).toBe('ru');
    expect(localeFromDiscord('tr')).toBe('tr');
    // Korean has no catalog: the server's language is next, else English.
    expect(localeFromDiscord('ko')).toBe('en');
    expect(localeFromDiscord('ko', 'pl')).toBe('pl');
    expect(localeFromDiscord(undefined, undefined)).toBe('en');
  });

  it('on a page: the best Accept-Language range with a catalog, else English', () => {
    expect(localeFromAcceptLanguage('pt-BR,pt;q=0.9')).toBe('pt-BR');
    expect(localeFromAcceptLanguage('pt-PT')).toBe('pt-BR');
    expect(localeFromAcceptLanguage('de-CH;q=0.8, fr')).toBe('fr');
    expect(localeFromAcceptLanguage('ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7')).toBe('ru');
    expect(localeFromAcceptLanguage('tr-TR')).toBe('tr');
    expect(localeFromAcceptLanguage('ko, de;q=0.5')).toBe('de');
    expect(localeFromAcceptLanguage('fr;q=0, ja;q=0.1')).toBe('ja');
    expect(localeFromAcceptLanguage('*')).toBe('en');
    expect(localeFromAcceptLanguage('')).toBe('en');
    expect(localeFromAcceptLanguage(null)).toBe('en');
    expect(localeFromAcceptLanguage(';;q=banana,,, ,=')).toBe('en');
    expect(localeFromAcceptLanguage('x'.repeat(5000))).toBe('en');
  });

  it('every catalog is reachable by its own tag and its Discord codes', () => {
    for (const locale of LOCALES) {
      expect(localeFromAcceptLanguage(locale)).toBe(locale);
      expect(translatorFor(locale).locale).toBe(locale);
    }
    for (const [locale, list] of Object.entries(DISCORD_LOCALES)) for (const code of list) expect(localeFromDiscord(code)).toBe(locale);
  });
});
