/**
 * What the i18n test reads: every shipped catalog as written (src/i18n/locales.ts keeps its table private), the
 * placeholders of a text, and Discord's limits (PLATFORM.md §4.5, §4.6) as lists of readable violations, so a
 * failure names the locale, the message and the field instead of "expected 2013 to be ≤ 2000".
 */
import type { PluralForms, Texts } from '../../../src/i18n/catalog.ts';
import { en } from '../../../src/i18n/en.ts';
import type { Locale } from '../../../src/i18n/locales.ts';
import type { DiscordMessage } from '../../../src/login/views.ts';
import { de } from '../../../src/i18n/locales/de.ts';
import { es } from '../../../src/i18n/locales/es.ts';
import { fr } from '../../../src/i18n/locales/fr.ts';
import { ja } from '../../../src/i18n/locales/ja.ts';
import { pl } from '../../../src/i18n/locales/pl.ts';
import { ptBR } from '../../../src/i18n/locales/pt-BR.ts';
import { ru } from '../../../src/i18n/locales/ru.ts';
import { tr } from '../../../src/i18n/locales/tr.ts';

/** A Record over Locale: a locale added to LOCALES without an entry here fails the type check. */
export const CATALOGS: Record<Locale, Texts> = { en, de, fr, es, 'pt-BR': ptBR, ja, pl, ru, tr };

/** The locale codes Discord accepts, as PLATFORM.md §4.6 lists them. */
export const DISCORD_LOCALE_CODES = [
  'id', 'da', 'de', 'en-GB', 'en-US', 'es-ES', 'es-419', 'fr', 'hr', 'it', 'lt', 'hu', 'nl', 'no', 'pl', 'pt-BR', 'ro',
  'fi', 'sv-SE', 'vi', 'tr', 'cs', 'el', 'bg', 'ru', 'uk', 'hi', 'th', 'zh-CN', 'ja', 'zh-TW', 'ko',
] as const;

export type Entry = Texts[keyof Texts];

export const isPlural = (entry: Entry): entry is PluralForms => typeof entry === 'object' && !Array.isArray(entry);

/** Every text of an entry: the string, each list item, or each plural form (with its category). */
export function textsOf(entry: Entry): Array<{ where: string; text: string }> {
  if (typeof entry === 'string') return [{ where: '', text: entry }];
  if (Array.isArray(entry)) return (entry as readonly string[]).map((text, index) => ({ where: `[${index}]`, text }));
  return Object.entries(entry as PluralForms).map(([category, text]) => ({ where: `.${category}`, text: text as string }));
}

/** The `{name}` placeholders of a text, as the translator fills them (src/i18n/catalog.ts). */
export const placeholdersOf = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);

/** What a rendered text must not show: a placeholder left over, or a value that was never there. */
export function leftovers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/\{[^{}\s]*\}/g)) found.push(`unfilled ${match[0]}`);
  if (/\bundefined\b/.test(text)) found.push('"undefined"');
  if (/\bNaN\b/.test(text)) found.push('"NaN"');
  return found;
}

/** Every string in a JSON-like value, with its path (for messages: content, titles, labels, ids, URLs). */
export function stringsIn(value: unknown, path = ''): Array<{ path: string; text: string }> {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringsIn(item, `${path}[${index}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => stringsIn(item, path ? `${path}.${key}` : key));
  return [];
}

interface Button {
  style: number;
  label?: string;
  custom_id?: string;
  url?: string;
}

/** Discord's message limits (PLATFORM.md §4.5) that `message` breaks; empty when it fits. */
export function discordLimitViolations(message: DiscordMessage): string[] {
  const out: string[] = [];
  const max = (what: string, length: number, limit: number) => {
    if (length > limit) out.push(`${what}: ${length} > ${limit}`);
  };
  max('content', (message.content ?? '').length, 2000);
  const embeds = message.embeds ?? [];
  max('embeds', embeds.length, 10);
  let total = 0;
  embeds.forEach((embed, i) => {
    const title = embed.title ?? '';
    const description = embed.description ?? '';
    const footer = embed.footer?.text ?? '';
    const author = embed.author?.name ?? '';
    max(`embeds[${i}].title`, title.length, 256);
    max(`embeds[${i}].description`, description.length, 4096);
    max(`embeds[${i}].footer.text`, footer.length, 2048);
    max(`embeds[${i}].author.name`, author.length, 256);
    max(`embeds[${i}].fields`, (embed.fields ?? []).length, 25);
    total += title.length + description.length + footer.length + author.length;
    (embed.fields ?? []).forEach((field, j) => {
      max(`embeds[${i}].fields[${j}].name`, field.name.length, 256);
      max(`embeds[${i}].fields[${j}].value`, field.value.length, 1024);
      total += field.name.length + field.value.length;
    });
  });
  max('embeds (all characters)', total, 6000);
  const rows = (message.components ?? []) as Array<{ components?: Button[] }>;
  max('action rows', rows.length, 5);
  rows.forEach((row, i) => {
    const buttons = row.components ?? [];
    max(`components[${i}] buttons`, buttons.length, 5);
    buttons.forEach((button, j) => {
      const at = `components[${i}].components[${j}]`;
      max(`${at}.label`, (button.label ?? '').length, 80);
      if (button.style === 5) {
        if (button.custom_id !== undefined) out.push(`${at}: a link button with a custom_id`);
        if (!/^https?:\/\//.test(button.url ?? '')) out.push(`${at}.url is not http(s): ${button.url}`);
        max(`${at}.url`, (button.url ?? '').length, 512);
      } else {
        const id = button.custom_id ?? '';
        if (id.length < 1) out.push(`${at}: no custom_id`);
        max(`${at}.custom_id`, id.length, 100);
      }
    });
  });
  return out;
}
