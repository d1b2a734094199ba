/**
 * The OpenID stand-in's own pages for the device flow (code entry, confirmation, success) and errors, in place of
 * oidc-provider's defaults, which load a web font from the internet. Self-contained HTML; the forms themselves
 * (hidden xsrf, user_code) come from oidc-provider. Its devInteractions login and consent pages are its own.
 */
import { escapeHtml } from './facebook-pages.ts';

const STYLE = `
  body { font: 16px/1.4 system-ui, sans-serif; background: #f4f5f7; margin: 0; color: #1d1f23; }
  .brand { background: #2d3748; color: #fff; padding: .6rem 1rem; font-weight: 700; }
  main { max-width: 24rem; margin: 2rem auto; background: #fff; border-radius: 8px; padding: 1.5rem;
         box-shadow: 0 1px 3px rgba(0,0,0,.2); }
  h1 { font-size: 1.3rem; margin-top: 0; }
  input[name=user_code] { width: 100%; box-sizing: border-box; font-size: 1.1rem; padding: .5rem;
         text-transform: uppercase; font-family: monospace; margin-bottom: 1rem; }
  button { width: 100%; font-size: 1rem; padding: .6rem; border-radius: 6px; border: 0; cursor: pointer;
           background: #3b6fd8; color: #fff; margin-top: .5rem; }
  button[name=abort] { background: #e4e6eb; color: #1d1f23; }
  code { font-size: 1.5rem; }
  .message { padding: .6rem; border-radius: 6px; background: #e7f0ff; }
  .message.error { background: #ffebe9; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><div class="brand" aria-hidden="true">OpenID stand-in</div><main>${body}</main></body>
</html>
`;
}

/** Why the code form is shown again; the helpers in oidc.ts read this text. */
export type CodeEntryProblem = 'wrong_code' | 'aborted' | 'other';

export const CODE_ENTRY_TEXT: Record<CodeEntryProblem, string> = {
  wrong_code: 'The code you entered is incorrect, expired or already used. Try again.',
  aborted: 'The sign-in request was interrupted.',
  other: 'There was an error processing your request.',
};

export function codeEntryPage(form: string, problem: CodeEntryProblem | undefined): string {
  const note = problem
    ? `<p class="message error" role="alert">${escapeHtml(CODE_ENTRY_TEXT[problem])}</p>`
    : '<p>Enter the code displayed on your device.</p>';
  return page('Sign in on a device', `<h1>Sign in on a device</h1>
${note}
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`);
}

export function confirmPage(form: string, clientName: string, userCode: string): string {
  return page('Confirm the device', `<h1>Confirm the device</h1>
<p><strong>${escapeHtml(clientName)}</strong> wants to sign you in. Your device should show this code:</p>
<p><code>${escapeHtml(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`);
}

export function deviceSuccessPage(clientName: string): string {
  return page('Signed in', `<h1>Signed in</h1>
<p class="message" role="status">You are signed in to ${escapeHtml(clientName)}. You can close this page.</p>`);
}

export function errorPage(out: Record<string, string>): string {
  const rows = Object.entries(out)
    .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</p>`)
    .join('\n');
  return page('Error', `<h1>Something went wrong</h1>
<div class="message error" role="alert">${rows}</div>`);
}
