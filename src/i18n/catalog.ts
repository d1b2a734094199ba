/**
 * Typed catalogs and the translator. A catalog is checked against the English one by the type checker: a missing
 * or extra key, or a text whose `{placeholders}` differ from the English text's, fails `npm run typecheck`.
 * Plurals, numbers and lists go through Intl (PluralRules, NumberFormat, ListFormat), which workerd provides; no
 * library is needed for that, and typed catalogs catch more than a message-format string would.
 */
import { en } from './en.ts';

export type English = typeof en;
export type MessageKey = keyof English;

/** One text per plural category of the locale (Intl.PluralRules); `other` always. */
export type PluralForms = { readonly zero?: string; readonly one?: string; readonly two?: string; readonly few?: string; readonly many?: string; readonly other: string };

type Placeholders<S> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;
type EntryPlaceholders<E> = E extends string ? Placeholders<E> : E extends readonly string[] ? Placeholders<E[number]> : E extends PluralForms ? Placeholders<E[keyof E]> : never;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Shown by the type checker where a translation's placeholders differ from the English text's. */
interface PlaceholdersMustMatch<Expected> {
  placeholders: Expected;
}

/** A translation `T` of the English entry `E`: the same kind of entry, with the same placeholders. */
type Translated<E, T> = E extends string
  ? T extends string
    ? Same<Placeholders<T>, Placeholders<E>> extends true
      ? T
      : PlaceholdersMustMatch<Placeholders<E>>
    : string
  : E extends readonly string[]
    ? T extends readonly string[]
      ? T
      : readonly string[]
    : T extends PluralForms
      ? Same<EntryPlaceholders<T>, EntryPlaceholders<E>> extends true
        ? T
        : PlaceholdersMustMatch<EntryPlaceholders<E>>
      : PluralForms;

/** The shape a catalog `T` must have: every English key, translated, and nothing else. */
export type Catalog<T> = { readonly [K in MessageKey]: K extends keyof T ? Translated<English[K], T[K]> : English[K] } & {
  readonly [K in Exclude<keyof T, MessageKey>]: never;
};

/** Declares a catalog; the type checker holds it to the English one (see {@link Catalog}). */
export function catalog<const T extends Catalog<T>>(texts: T): T {
  return texts;
}

/** Any catalog, as the translator reads it. */
export type Texts = { readonly [K in MessageKey]: string | readonly string[] | PluralForms };

type StringKey = { [K in MessageKey]: English[K] extends string ? K : never }[MessageKey];
type PluralKey = { [K in MessageKey]: English[K] extends PluralForms ? K : never }[MessageKey];
type ListKey = { [K in MessageKey]: English[K] extends readonly string[] ? K : never }[MessageKey];

export type Params = Record<string, string | number>;

export interface Translator {
  /** The catalog's language tag (BCP 47), for `lang` and Intl. */
  readonly locale: string;
  /** The text of `key` with its placeholders filled in. */
  t(key: StringKey, params?: Params): string;
  /** The plural form of `key` for `count` (also available as `{count}`). */
  plural(key: PluralKey, count: number, params?: Params): string;
  items(key: ListKey): readonly string[];
  /** "a, b and c" in the locale's words. */
  list(items: readonly string[]): string;
  /** A duration in seconds, in words ("30 seconds"). */
  seconds(seconds: number): string;
}

const fill = (text: string, params: Params, format: (n: number) => string) =>
  text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : typeof value === 'number' ? format(value) : value;
  });

export function makeTranslator(locale: string, texts: Texts): Translator {
  const numbers = new Intl.NumberFormat(locale);
  const plurals = new Intl.PluralRules(locale);
  const lists = new Intl.ListFormat(locale, { type: 'conjunction' });
  const seconds = new Intl.NumberFormat(locale, { style: 'unit', unit: 'second', unitDisplay: 'long' });
  const number = (n: number) => numbers.format(n);
  return {
    locale,
    t: (key, params = {}) => fill(texts[key] as string, params, number),
    plural(key, count, params = {}) {
      const forms = texts[key] as PluralForms;
      const form = forms[plurals.select(count) as keyof PluralForms] ?? forms.other;
      return fill(form, { ...params, count }, number);
    },
    items: (key) => texts[key] as readonly string[],
    list: (items) => lists.format(items),
    seconds: (n) => seconds.format(n),
  };
}
