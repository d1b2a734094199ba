/**
 * The playground in headless Chromium, as a person uses it: the real Worker under wrangler dev, the stand-ins,
 * the page. Journeys: /ping; /login -> the link button -> Continue as a test identity -> "Logged in as";
 * /login -> Cancel on Facebook -> declined; /login -> the bot's Cancel button -> cancelled, and no poll
 * follows; /whoami and /logout; /login provider: autocompleted by the Worker -> GitHub's device page in the phone
 * -> "Logged in as". The providers' interval is 1 s here to keep the run short.
 */
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { escapeMarkdown } from '../../src/discord/messages.ts';
import { startPlayground, type Playground } from '../../scripts/playground/playground.ts';

const INTERVAL_SECONDS = 1;
let playground: Playground;
let browser: Browser;
let page: Page;

// One page for the whole file, as one person would keep it open: every test finds its own messages by id. The
// Worker lets one person start 3 logins a minute; journeys beyond that open the page as someone else (`?as=`).
beforeAll(async () => {
  [playground, browser] = await Promise.all([startPlayground({ port: 0, intervalSeconds: INTERVAL_SECONDS }), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  await page.goto(playground.url);
  await page.locator('body[data-connected="true"]').waitFor();
});
afterAll(async () => {
  await browser?.close();
  await playground?.close();
});

/** The playground opened by another person on the same server. */
async function pageAs(name: string): Promise<Page> {
  const other = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  other.setDefaultTimeout(15_000);
  await other.goto(`${playground.url}?as=${name}`);
  await other.locator('body[data-connected="true"]').waitFor();
  return other;
}

/** Types a command and sends it; resolves with the bot's message for it (as the channel shows it). */
async function run(command: string, on: Page = page): Promise<Locator> {
  const answered = on.waitForResponse((response) => response.url().endsWith('/api/command'));
  const input = on.getByLabel('Message #playground');
  await input.fill(command);
  await input.press('Enter');
  const { messageId } = (await (await answered).json()) as { messageId: string };
  const message = on.locator(`li.message[data-message-id="${messageId}"]`);
  await message.waitFor();
  return message;
}

const phoneFrame = (on: Page = page): FrameLocator => on.frameLocator('iframe[name=phone]');

/** /login until the code shows; returns the message and the code it shows. */
async function loginShowingCode(on: Page = page): Promise<{ message: Locator; userCode: string }> {
  const message = await run('/login', on);
  await message.locator('.embed-title', { hasText: 'Log in with Facebook' }).waitFor();
  const userCode = (await message.locator('.embed-description pre').textContent())!.trim();
  expect(userCode).toMatch(/^[A-Z0-9]{8}$/);
  return { message, userCode };
}

/** Follows the bot's link button into the phone frame; the code arrives filled in. */
async function openFacebookFromLink(message: Locator, userCode: string, on: Page = page): Promise<FrameLocator> {
  await message.getByRole('link', { name: /^Open 127\.0\.0\.1:\d+\/device/ }).click();
  const frame = phoneFrame(on);
  await frame.locator(`input[name=user_code][value="${userCode}"]`).waitFor();
  return frame;
}

async function loginAs(name: string, on: Page = page): Promise<Locator> {
  const { message, userCode } = await loginShowingCode(on);
  const frame = await openFacebookFromLink(message, userCode, on);
  await frame.getByRole('radio', { name }).check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByText('You are connected').waitFor();
  await message.locator('.embed-title', { hasText: `Logged in as ${name}` }).waitFor();
  return message;
}

describe('the playground in a browser', () => {
  it('/ping, picked from the command bar, answers "Pong!" only to the user', async () => {
    const answered = page.waitForResponse((response) => response.url().endsWith('/api/command'));
    await page.getByRole('toolbar', { name: 'Commands' }).getByRole('button', { name: '/ping' }).click();
    const { messageId, botStatus } = (await (await answered).json()) as { messageId: string; botStatus: number };
    expect(botStatus).toBe(200);
    const message = page.locator(`li.message[data-message-id="${messageId}"]`);
    await message.locator('.content', { hasText: 'Pong!' }).waitFor();
    expect(await message.locator('.invocation').textContent()).toBe('You used /ping');
    expect(await message.locator('.ephemeral-note').textContent()).toBe('Only you can see this');
    await page.locator('.traffic-line', { hasText: 'POST /interactions' }).filter({ hasText: '/ping' }).first().waitFor();
  });

  it('/login -> the link button -> Continue as a test identity: the same message turns into "Logged in as"', async () => {
    const { message, userCode } = await loginShowingCode();
    const embed = message.locator('.embed');
    expect(await embed.evaluate((node) => getComputedStyle(node).borderLeftColor)).toBe('rgb(24, 119, 242)'); // Facebook blue
    expect(await embed.locator('.embed-field-name').textContent()).toBe('Code expires');
    expect(await embed.locator('.embed-field-value time').textContent()).toMatch(/^in \d+ minutes$/);
    expect(await message.locator('.ephemeral-note').count()).toBe(1);
    // The Worker polls while the user is on Facebook: the traffic log shows it live.
    await page.locator('.traffic-line', { hasText: 'POST /v25.0/device/login_status' }).filter({ hasText: 'pending' }).first().waitFor();

    const frame = await openFacebookFromLink(message, userCode);
    await frame.getByRole('radio', { name: 'Bob Example' }).check();
    await frame.getByRole('button', { name: 'Continue' }).click();
    await frame.getByText('You are connected').waitFor();

    await message.locator('.embed-title', { hasText: 'Logged in as Bob Example' }).waitFor();
    expect(await message.locator('.embed-description strong').textContent()).toBe('Bob Example');
    expect(await message.locator('.embed').evaluate((node) => getComputedStyle(node).borderLeftColor)).toBe('rgb(87, 242, 135)');
    const picture = message.locator('img.embed-thumbnail');
    expect(await picture.evaluate((image: HTMLImageElement) => image.decode().then(() => image.naturalWidth))).toBeGreaterThan(0);
    expect(await message.locator('.components').count()).toBe(0);
    expect(await message.locator('.edited').count()).toBe(1);
    expect(playground.facebook.deviceLogin(userCode)).toMatchObject({ state: 'redeemed', identity: { name: 'Bob Example' }, tooFastPolls: 0 });
    await page.locator('.traffic-line', { hasText: 'GET /v25.0/me' }).first().waitFor();

    const shown = await page.content();
    for (const secret of [playground.facebook.clientToken, playground.facebook.appSecret]) expect(shown).not.toContain(secret);
  });

  it('/login -> Cancel on the Facebook page: the message says the login was declined', async () => {
    const { message, userCode } = await loginShowingCode();
    const frame = await openFacebookFromLink(message, userCode);
    await frame.getByRole('button', { name: 'Cancel' }).click();
    await frame.getByText('You cancelled logging in').waitFor();
    await message.locator('.embed-title', { hasText: 'Login declined' }).waitFor();
    expect(await message.locator('.components').count()).toBe(0);
    expect(playground.facebook.deviceLogin(userCode)!.state).toBe('declined');
  });

  it('/login -> the bot\'s Cancel button: the message says cancelled and polling stops', async () => {
    const { message, userCode } = await loginShowingCode();
    await playground.facebook.waitForDeviceLogin((login) => login.userCode === userCode && login.polls.length >= 1);
    await message.getByRole('button', { name: 'Cancel' }).click();
    await message.locator('.embed-title', { hasText: 'Login cancelled' }).waitFor();
    expect(await message.locator('.components').count()).toBe(0);

    // The assertion is about a span of time: two and a half intervals, in which a live login would poll twice.
    const polls = playground.facebook.deviceLogin(userCode)!.polls.length;
    const anotherPoll = playground.facebook.waitForDeviceLogin(
      (login) => login.userCode === userCode && login.polls.length > polls,
      2.5 * INTERVAL_SECONDS * 1000,
    );
    await expect(anotherPoll).rejects.toThrow(/timed out/);
    expect(playground.facebook.deviceLogin(userCode)).toMatchObject({ state: 'pending', tooFastPolls: 0 });
  });

  it('/whoami shows the link, /logout provider: (autocompleted from the own links) removes it and has Facebook revoke the app', async () => {
    const grace = await pageAs('grace');
    try {
      await loginAs('Zoë Ångström', grace);
      const linked = await run('/whoami', grace);
      await linked.locator('.content', { hasText: 'Your Discord account is linked to this account:' }).waitFor();
      // The link, then the Linked Roles line (the playground has Linked Roles set up).
      expect(await linked.locator('.content strong').allTextContents()).toEqual(['Facebook', 'Zoë Ångström', 'Linked Roles']);
      expect(await linked.locator('.content code').first().textContent()).toBe(playground.facebook.userIdFor('Zoë Ångström'));
      // Someone else's ephemeral answers are not shown on this person's page, as in Discord.
      expect(await page.locator(`li.message[data-message-id="${await linked.getAttribute('data-message-id')}"]`).count()).toBe(0);

      const input = grace.getByLabel('Message #playground');
      await input.fill('/logout provider:');
      const own = grace.getByRole('listbox').getByRole('option', { name: 'Facebook (Zoë Ångström)' });
      await own.waitFor();
      await own.click();
      expect(await input.inputValue()).toBe('/logout provider:facebook ');
      const revocationsBefore = playground.facebook.revocations().length;
      const answered = grace.waitForResponse((response) => response.url().endsWith('/api/command'));
      await input.press('Enter');
      const { messageId } = (await (await answered).json()) as { messageId: string };
      const loggedOut = grace.locator(`li.message[data-message-id="${messageId}"]`);
      await loggedOut.locator('.content', { hasText: 'Logged out: your link to the Facebook account Zoë Ångström is deleted here.' }).waitFor();
      await loggedOut.locator('.content', { hasText: 'Facebook confirmed that this app no longer has access' }).waitFor();
      expect(playground.facebook.revocations().slice(revocationsBefore)).toMatchObject([{ userId: playground.facebook.userIdFor('Zoë Ångström') }]);

      const unlinked = await run('/whoami', grace);
      await unlinked.locator('.content', { hasText: 'Your Discord account is not linked to any account.' }).waitFor();
    } finally {
      await grace.close();
    }
  });

  it('/login provider: autocompleted by the Worker -> GitHub -> its device page in the phone -> "Logged in as"; no secret on the page', async () => {
    const ada = await pageAs('ada');
    try {
      const input = ada.getByLabel('Message #playground');
      await input.fill('/login provider:gi');
      const list = ada.getByRole('listbox');
      await list.getByRole('option', { name: 'GitHub' }).waitFor();
      expect(await list.getByRole('option').allTextContents()).toEqual(['GitHub']);
      // The choices are the Worker's: Discord sent it a type 4 interaction and showed its type 8 answer.
      const asked = playground.discord.interactions().filter((interaction) => interaction.type === 4).at(-1);
      expect(asked).toMatchObject({ name: 'login', responseType: 8, focused: { name: 'provider', value: 'gi' }, choices: [{ name: 'GitHub', value: 'github' }] });

      await list.getByRole('option', { name: 'GitHub' }).click();
      expect(await input.inputValue()).toBe('/login provider:github ');
      const answered = ada.waitForResponse((response) => response.url().endsWith('/api/command'));
      await input.press('Enter');
      const { messageId } = (await (await answered).json()) as { messageId: string };
      const message = ada.locator(`li.message[data-message-id="${messageId}"]`);
      await message.locator('.embed-title', { hasText: 'Log in with GitHub' }).waitFor();
      expect(await message.locator('.invocation').textContent()).toBe('ada used /login');
      expect(await message.locator('.embed').evaluate((node) => getComputedStyle(node).borderLeftColor)).toBe('rgb(36, 41, 47)'); // GitHub's
      const userCode = (await message.locator('.embed-description pre').textContent())!.trim();
      expect(userCode).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);

      // GitHub has no page with the code filled in: the person types it on github.com/login/device, in the phone.
      await message.getByRole('link', { name: /^Open 127\.0\.0\.1:\d+\/login\/device/ }).click();
      const frame = phoneFrame(ada);
      await frame.getByRole('heading', { name: 'Device Activation' }).waitFor();
      await frame.getByLabel('Code').fill(userCode);
      await frame.getByRole('radio', { name: /Alice Example/ }).check();
      await frame.getByRole('button', { name: 'Authorize' }).click();
      await frame.getByText('Signed in as Alice Example').waitFor();
      await message.locator('.embed-title', { hasText: 'Logged in as Alice Example' }).waitFor();
      expect(playground.github.deviceLogin(userCode)).toMatchObject({ state: 'redeemed', tooFastPolls: 0 });

      // The traffic strip shows the Worker's GitHub calls, masked; no secret of any provider reaches the page.
      await ada.locator('.traffic-line', { hasText: 'POST /login/oauth/access_token' }).filter({ hasText: 'authorized' }).first().waitFor();
      await ada.locator('.traffic-line', { hasText: 'GET /api/user' }).first().waitFor();
      await ada.locator('.traffic-line', { hasText: 'autocomplete /login provider' }).first().waitFor();
      const shown = await ada.content();
      const secrets = [playground.github.clientSecret, playground.google.clientSecret, playground.microsoft.clientSecret, playground.facebook.appSecret, playground.facebook.clientToken];
      for (const secret of secrets) expect(shown).not.toContain(secret);
      expect(shown).not.toMatch(/gh[ou]_[A-Za-z0-9]{20,}/); // GitHub's access tokens
      expect(shown).not.toMatch(/\b[0-9a-f]{40}\b/); // GitHub's device codes
    } finally {
      await ada.close();
    }
  });

  it('renders Discord markdown as Discord does: escapes show literally, nothing becomes HTML', async () => {
    const inputs = {
      // The Worker's own escaping, so the two sides are checked against each other.
      escaped: `Logged in as ${escapeMarkdown('__Ada__ *the* <@1> [x](y) ~~z~~ `q`')}`,
      bold: `the account **${escapeMarkdown('**Ada**')}**.`,
      code: 'enter:\n```\nAB12CD34\n```',
      html: '<img src=x onerror=alert(1)> [x](javascript:alert(1))',
    };
    // A string, not a function: the test's own module transform would rewrite a dynamic import().
    const rendered = (await page.evaluate(`(async () => {
      const { renderMarkdown } = await import('/markdown.js');
      const out = {};
      for (const [key, text] of Object.entries(${JSON.stringify(inputs)})) {
        const box = document.createElement('div');
        box.append(renderMarkdown(text));
        out[key] = { text: box.textContent, html: box.innerHTML };
      }
      return out;
    })()`)) as Record<keyof typeof inputs, { text: string; html: string }>;
    expect(rendered.escaped).toEqual({ text: 'Logged in as __Ada__ *the* <@1> [x](y) ~~z~~ `q`', html: 'Logged in as __Ada__ *the* &lt;@1&gt; [x](y) ~~z~~ `q`' });
    expect(rendered.bold.html).toBe('the account <strong>**Ada**</strong>.');
    expect(rendered.code.html).toBe('enter:\n<pre><code>AB12CD34</code></pre>');
    expect(rendered.html.html).not.toContain('<img');
    expect(rendered.html.html).not.toContain('href');
  });

  it('the message box reads options as Discord\'s does: commands, then options, then the bot\'s choices; bad options stay on the page', async () => {
    // A string, not a function: the test's own module transform would rewrite a dynamic import().
    const read = (await page.evaluate(`(async () => {
      const { parseCommand, suggestionsFor } = await import('/composer.js');
      const commands = [
        { name: 'login', description: 'Link', options: [{ name: 'provider', description: 'Where', required: false, autocomplete: true }] },
        { name: 'ping', description: 'Up?', options: [] },
      ];
      const parse = (text) => { try { return parseCommand(text, commands); } catch (error) { return { error: error.message }; } };
      const offer = (text) => {
        const found = suggestionsFor(text, commands);
        return found && { kind: found.kind, exact: found.exact, texts: found.items?.map((item) => item.text), focused: found.focused, typed: found.typed, prefix: found.prefix };
      };
      return JSON.parse(JSON.stringify({
        parsed: ['/login provider:github', '/login', '  /ping  ', '/login github', '/login who:me', '/ping provider:x', '/login provider:', '/shutdown now'].map(parse),
        offered: ['/', '/lo', '/login', '/login ', '/login p', '/login provider:gi', '/login provider:github ', '/ping ', 'hello'].map(offer),
      }));
    })()`)) as { parsed: unknown[]; offered: unknown[] };
    expect(read.parsed).toEqual([
      { name: 'login', options: { provider: 'github' } },
      { name: 'login', options: {} },
      { name: 'ping', options: {} },
      { error: 'write options as name:value, e.g. /login provider:…' },
      { error: '/login has no option who: try provider:' },
      { error: '/ping takes no options' },
      { error: 'provider: needs a value' },
      { name: 'shutdown', options: {} },
    ]);
    expect(read.offered).toEqual([
      { kind: 'commands', exact: false, texts: ['/login ', '/ping'] },
      { kind: 'commands', exact: false, texts: ['/login '] },
      { kind: 'commands', exact: true, texts: ['/login '] },
      { kind: 'options', texts: ['/login provider:'] },
      { kind: 'options', texts: ['/login provider:'] },
      { kind: 'choices', focused: 'provider', typed: 'gi', prefix: '/login ' },
      null,
      null,
      null,
    ]);

    const deliveries = playground.discord.interactions().length;
    await page.getByLabel('Message #playground').fill('/login provider:nowhere extra');
    await page.getByLabel('Message #playground').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'write options as name:value' }).waitFor();
    expect(playground.discord.interactions().length).toBe(deliveries);
  });

  it('an unknown command is refused on the page, and nothing is sent', async () => {
    const deliveries = playground.discord.interactions().length;
    await page.getByLabel('Message #playground').fill('/shutdown');
    await page.getByLabel('Message #playground').press('Enter');
    await page.getByRole('alert').filter({ hasText: 'unknown command /shutdown' }).waitFor();
    expect(playground.discord.interactions().length).toBe(deliveries);
  });
});
