/**
 * Small, self-contained HTML pages. `html` is a tagged template that escapes every interpolated value unless it
 * is itself `html` output, so nothing from config, a URL or the database reaches a page unescaped by accident.
 */

export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Every page's CSP: nothing loads but the inline style. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1c1e21}h1{font-size:1.5rem}code{background:#f0f2f5;padding:0 .25em}';

/** A whole page in the language `lang`: no scripts, no external assets, and a CSP that would block them anyway. */
export function htmlPage(status: number, title: string, body: Html, headers: Record<string, string> = {}, lang = 'en'): Response {
  const page = html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<h1>${title}</h1>
${body}
</body>
</html>
`;
  return new Response(page.text, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-language': lang,
      vary: 'accept-language',
      ...headers,
    },
  });
}

/**
 * A translated text as HTML: the text itself is escaped, and each `{placeholder}` is filled with its value,
 * escaped too unless it is itself `html` output (a name in bold, a link).
 */
export function htmlText(text: string, params: Record<string, unknown> = {}): Html {
  const parts = text.split(/\{(\w+)\}/);
  return new Html(parts.map((part, i) => (i % 2 === 0 ? escapeHtml(part) : render(params[part] ?? `{${part}}`))).join(''));
}
