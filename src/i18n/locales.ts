/**
 * The shipped catalogs, and which one a person gets: in Discord, the interaction's `locale` (the user's client
 * language), else the server's `guild_locale`, else English; on a web page, the browser's `Accept-Language`.
 * Adding a locale: a catalog in locales/ (the type checker lists what it lacks) and a line in each table here.
 */
import { makeTranslator, type Texts, type Translator } from './catalog.ts';
import { en } from './en.ts';
import { de } from './locales/de.ts';
import { es } from './locales/es.ts';
import { fr } from './locales/fr.ts';
import { ja } from './locales/ja.ts';
import { pl } from './locales/pl.ts';
import { ptBR } from './locales/pt-BR.ts';
import { ru } from './locales/ru.ts';
import { tr } from './locales/tr.ts';

export const LOCALES = ['en', 'de', 'fr', 'es', 'pt-BR', 'ja', 'pl', 'ru', 'tr'] as const;
export type Locale = (typeof LOCALES)[number];

const CATALOGS: Record<Locale, Texts> = { en, de, fr, es, 'pt-BR': ptBR, ja, pl, ru, tr };

/** Discord's locale codes (PLATFORM.md §4.6) for each catalog: what command registration is keyed by. */
export const DISCORD_LOCALES: Record<Exclude<Locale, 'en'>, readonly string[]> = {
  de: ['de'],
  fr: ['fr'],
  es: ['es-ES', 'es-419'],
  'pt-BR': ['pt-BR'],
  ja: ['ja'],
  pl: ['pl'],
  ru: ['ru'],
  tr: ['tr'],
};

const BY_CODE = new Map<string, Locale>([
  ['en', 'en'],
  ...Object.entries(DISCORD_LOCALES).flatMap(([locale, codes]) => codes.map((code) => [code.toLowerCase(), locale as Locale] as const)),
]);

/** The catalog for one language tag: exact (case-insensitive), else by its primary language (es-MX → es, pt → pt-BR). */
function match(tag: string): Locale | undefined {
  const lower = tag.trim().toLowerCase();
  const exact = BY_CODE.get(lower);
  if (exact) return exact;
  const primary = lower.split('-')[0]!;
  return BY_CODE.get(primary) ?? LOCALES.find((locale) => locale.toLowerCase().split('-')[0] === primary);
}

const translators = new Map<Locale, Translator>();

/** The translator of a catalog (English for a tag without one, e.g. from state stored by an older version). */
export function translatorFor(tag: Locale): Translator {
  const locale: Locale = (LOCALES as readonly string[]).includes(tag) ? tag : 'en';
  let translator = translators.get(locale);
  if (!translator) translators.set(locale, (translator = makeTranslator(locale, CATALOGS[locale])));
  return translator;
}

/** The first of Discord's locale codes that has a catalog (the user's `locale`, then `guild_locale`), else English. */
export function localeFromDiscord(...codes: ReadonlyArray<string | undefined>): Locale {
  for (const code of codes) {
    const locale = code ? match(code) : undefined;
    if (locale) return locale;
  }
  return 'en';
}

/** The best catalog for an `Accept-Language` header (RFC 9110 §12.5.4: by q-value, then order), else English. */
export function localeFromAcceptLanguage(header: string | null): Locale {
  if (!header) return 'en';
  const ranges = header
    .split(',')
    .slice(0, 20)
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? '1');
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((range) => range.q > 0 && range.tag && range.tag !== '*')
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    const locale = match(range.tag);
    if (locale) return locale;
  }
  return 'en';
}

export const discordTranslator = (...codes: ReadonlyArray<string | undefined>) => translatorFor(localeFromDiscord(...codes));
export const pageTranslator = (request: Request) => translatorFor(localeFromAcceptLanguage(request.headers.get('accept-language')));
