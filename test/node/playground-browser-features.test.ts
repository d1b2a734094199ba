/**
 * The playground in headless Chromium, for what the Worker learned after the first playground: languages (#15),
 * Linked Roles (#12) and the browser login (#13). Journeys:
 * - the language picker: the command bar in German (Japanese), /login typed under its localized name, the code
 *   message and "Logged in as" exactly as the Worker's catalogs say (computed here, never written out);
 * - Server Settings › Roles -> Linked Roles -> Discord's consent in the phone -> "now link an account" -> /login
 *   in the channel -> approve on Facebook -> the role's requirement shows as met, with no reload;
 * - /login -> "Sign in with Facebook in the browser" -> the Worker's page naming the Discord account, "Continue
 *   with Facebook" -> approve on Facebook's dialog -> the Worker's callback page, and the channel says "Logged in
 *   as" within a second of it; the device code is not polled afterwards.
 * Each journey acts as its own person (`?as=`): the Worker lets one person start 3 logins a minute.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { personNamed } from '../../scripts/playground/page-server.ts';
import { PLAYGROUND_APP_NAME, startPlayground, type Playground } from '../../scripts/playground/playground.ts';
import { translatorFor, type Locale } from '../../src/i18n/locales.ts';

const INTERVAL_SECONDS = 1;
let playground: Playground;
let browser: Browser;

beforeAll(async () => {
  [playground, browser] = await Promise.all([startPlayground({ port: 0, intervalSeconds: INTERVAL_SECONDS }), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await playground?.close();
});

/** The playground as `name` on the server, in a browser of its own. */
async function pageAs(name: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  await page.goto(`${playground.url}?as=${name}`);
  await page.locator('body[data-connected="true"]').waitFor();
  return page;
}

/** Sends what is typed in the message box; resolves with the bot's message and what the page asked Discord to deliver. */
async function send(page: Page, text: string): Promise<{ message: Locator; sent: Record<string, unknown>; messageId: string }> {
  const answered = page.waitForResponse((response) => response.url().endsWith('/api/command'));
  const input = page.getByLabel('Message #playground');
  await input.fill(text);
  await input.press('Enter');
  const response = await answered;
  const { messageId } = (await response.json()) as { messageId: string };
  const message = page.locator(`li.message[data-message-id="${messageId}"]`);
  await message.waitFor();
  return { message, sent: response.request().postDataJSON() as Record<string, unknown>, messageId };
}

const phone = (page: Page) => page.frameLocator('iframe[name=phone]');

/** The embed title once it is `title` exactly. */
async function titleBecomes(message: Locator, title: string): Promise<void> {
  await message.locator('.embed-title', { hasText: title }).waitFor();
  expect(await message.locator('.embed-title').textContent()).toBe(title);
}

/** Facebook's device page in the phone, from the message's "Open …" link: continue as `identity`. */
async function approveOnFacebookDevicePage(page: Page, message: Locator, identity: string): Promise<string> {
  const userCode = (await message.locator('.embed-description pre').textContent())!.trim();
  await message.locator(`a[href^="${playground.facebook.url}/device"]`).click();
  const frame = phone(page);
  await frame.locator(`input[name=user_code][value="${userCode}"]`).waitFor();
  await frame.getByRole('radio', { name: identity }).check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByText('You are connected').waitFor();
  return userCode;
}

describe('the playground in a browser: languages, Linked Roles, the browser login', () => {
  const journeys: Array<{ label: string; code: string; catalog: Locale; person: string; identity: string }> = [
    { label: 'Deutsch', code: 'de', catalog: 'de', person: 'hans', identity: 'Bob Example' },
    { label: '日本語', code: 'ja', catalog: 'ja', person: 'yuki', identity: 'Alice Example' },
  ];
  for (const { label, code, catalog, person, identity } of journeys) {
    it(`a login in ${label}: the command bar, the code message and "Logged in as" are the Worker's ${code} texts`, async () => {
      const page = await pageAs(person);
      try {
        const t = translatorFor(catalog);
        await page.getByLabel('Discord language').selectOption({ label });
        const names = ['ping', 'login', 'whoami', 'logout'].map((command) => `/${t.t(`command.${command}.name` as 'command.ping.name')}`);
        // Discord's client lists each command under its name in the user's language, from the registration.
        await expect.poll(() => page.getByRole('toolbar', { name: 'Commands' }).getByRole('button').allTextContents()).toEqual(names);
        const loginCommand = playground.discord.commands().find((command) => command.name === 'login')!;
        expect(names[1]).toBe(`/${(loginCommand.name_localizations as Record<string, string>)[code]}`);

        const { message, sent, messageId } = await send(page, names[1]!);
        // Typed under its localized name, delivered under its registered one, in the user's language.
        expect(sent).toMatchObject({ name: 'login', locale: code });
        const interaction = playground.discord.interactions().find((candidate) => candidate.originalMessageId === messageId);
        expect(interaction).toMatchObject({ name: 'login', locale: code });
        expect(await message.locator('.invocation').textContent()).toBe(`${person} used ${names[1]}`);

        await titleBecomes(message, t.t('code.title', { provider: 'Facebook' }));
        expect(await message.locator('.embed-field-name').textContent()).toBe(t.t('code.expires'));
        expect(await message.getByRole('button', { name: t.t('code.cancel') }).count()).toBe(1);

        await approveOnFacebookDevicePage(page, message, identity);
        await titleBecomes(message, t.t('success.title', { name: identity }));
      } finally {
        await page.close();
      }
    });
  }

  it('Server Settings › Roles -> Linked Roles -> consent -> "now link an account" -> /login -> approve: the requirement is met, live', async () => {
    const page = await pageAs('lina');
    const lina = personNamed('lina');
    const en = translatorFor('en');
    try {
      await page.getByRole('button', { name: 'Playground server' }).click();
      await page.getByRole('menuitem', { name: 'Server Settings' }).click();
      const settings = page.getByRole('region', { name: 'Server Settings › Roles' });
      const role = settings.locator('.role[data-role="Verified"]');
      const requirement = role.locator('.requirement[data-key="facebook"]');
      // The label is the app's name and the metadata record the playground registered, as Discord lists it.
      const record = playground.discord.roleConnectionMetadata().find((candidate) => candidate.key === 'facebook')!;
      expect(`${PLAYGROUND_APP_NAME} — ${record.name}`).toBe('Login Bot — Facebook account linked');
      expect(await requirement.locator('.requirement-label').textContent()).toBe(`${PLAYGROUND_APP_NAME} — ${record.name}`);
      expect(await requirement.getAttribute('data-met')).toBe('false');
      expect(await requirement.locator('.requirement-status').textContent()).toBe('✗ Not met');
      // A mark that a reload would wipe: the page must stay the same page to the end.
      await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));

      await page.getByRole('button', { name: 'Playground server' }).click();
      await page.getByRole('menuitem', { name: 'Linked Roles' }).click();
      const frame = phone(page);
      await expect.poll(() => page.locator('iframe[name=phone]').getAttribute('src')).toBe(`${playground.worker.url}/linked-roles`);
      // The Worker's /linked-roles sent the phone to Discord's consent page, where lina is logged in.
      await frame.getByText(`Signed in as ${lina.globalName}`).waitFor();
      await frame.getByRole('button', { name: 'Authorize' }).click();
      await frame.getByRole('heading', { name: en.t('roles.noLink.title') }).waitFor();
      expect(playground.discord.roleConnection(lina.id)?.metadata).toMatchObject({ facebook: '0' });
      expect(await requirement.getAttribute('data-met')).toBe('false');

      const { message } = await send(page, '/login');
      await approveOnFacebookDevicePage(page, message, 'Zoë Ångström');
      await titleBecomes(message, en.t('success.title', { name: 'Zoë Ångström' }));
      // The Worker pushes the new metadata after the login; the panel follows the stand-in's event, by itself.
      await role.locator('.requirement[data-key="facebook"][data-met="true"]').waitFor();
      expect(await requirement.locator('.requirement-status').textContent()).toBe('✓ Met');
      expect(await role.locator('.role-status').textContent()).toBe('You can take this role');
      expect(playground.discord.meetsRequirement(lina.id, { key: 'facebook', value: 1 })).toBe(true);
      expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
      await page.locator('.traffic-line', { hasText: 'PUT /api/v10/users/@me/applications/' }).first().waitFor();
    } finally {
      await page.close();
    }
  });

  it('/login -> "Sign in with Facebook in the browser" -> confirm -> approve: "Logged in as" within 1 s of the callback, and no poll after it', async () => {
    const page = await pageAs('bea');
    const en = translatorFor('en');
    try {
      const { message, messageId } = await send(page, '/login');
      await titleBecomes(message, en.t('code.title', { provider: 'Facebook' }));
      const userCode = (await message.locator('.embed-description pre').textContent())!.trim();
      const signIn = message.getByRole('link', { name: en.t('code.browser', { provider: 'Facebook' }) });
      // PUBLIC_BASE_URL is the Worker's own URL: the button leads to its /auth/facebook/start.
      expect(await signIn.getAttribute('href')).toMatch(new RegExp(`^${playground.worker.url}/auth/facebook/start\\?t=[^&]+$`));

      const title = en.t('success.title', { name: 'Alice Example' });
      // When the channel shows the new title, by the page's clock (the browser's wall clock, as the frame's).
      await page.evaluate(
        ({ id, title }) => {
          const seen = window as unknown as { titleShownAt?: number };
          const observer = new MutationObserver(() => {
            if (document.querySelector(`li.message[data-message-id="${id}"] .embed-title`)?.textContent === title) {
              seen.titleShownAt = Date.now();
              observer.disconnect();
            }
          });
          observer.observe(document.getElementById('messages')!, { subtree: true, childList: true, characterData: true });
        },
        { id: messageId, title },
      );

      await signIn.click();
      const frame = phone(page);
      // The Worker asks first, naming the Discord account the sign-in is for; its button sends the browser on.
      await frame.getByRole('heading', { name: en.t('page.confirm.title') }).waitFor();
      expect(await frame.locator('p').first().innerHTML()).toBe(
        en.t('page.confirm.text', { provider: 'Facebook', user: '<strong>@bea</strong>' }),
      );
      await frame.getByRole('button', { name: en.t('page.confirm.button', { provider: 'Facebook' }), exact: true }).click();
      // Facebook's login dialog (www.facebook.com), in the phone: the Worker sent the browser there.
      await frame.getByRole('heading', { name: /^Log in to / }).waitFor();
      await frame.getByRole('radio', { name: 'Alice Example' }).check();
      await frame.getByRole('button', { name: 'Continue' }).click();
      await frame.getByRole('heading', { name: en.t('page.signedIn.title', { name: 'Alice Example' }) }).waitFor();
      await titleBecomes(message, title);

      const callback = page.frames().find((candidate) => candidate.url().startsWith(`${playground.worker.url}/auth/facebook/callback?`));
      expect(callback, 'the phone shows the Worker\'s callback page').toBeDefined();
      const loaded = await callback!.evaluate(() => {
        const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
        return { requested: performance.timeOrigin + navigation!.fetchStart, loaded: performance.timeOrigin + navigation!.loadEventStart };
      });
      const shownAt = await page.evaluate(() => (window as unknown as { titleShownAt?: number }).titleShownAt);
      expect(shownAt).toBeDefined();
      const sinceLoad = shownAt! - loaded.loaded;
      const sinceRequest = shownAt! - loaded.requested;
      console.log(`browser login: "Logged in as" ${Math.round(sinceRequest)} ms after the browser asked for the callback, ${Math.round(sinceLoad)} ms after its page loaded`);
      expect(sinceRequest).toBeGreaterThanOrEqual(0);
      expect(sinceLoad).toBeLessThan(1_000);
      expect(sinceRequest).toBeLessThan(1_000);
      // Facebook's dialog redirected to exactly the Worker's registered callback, with PKCE, and the code was redeemed.
      expect(playground.facebook.redirectLogins().at(-1)).toMatchObject({
        decision: 'approved',
        redirectUri: `${playground.worker.url}/auth/facebook/callback`,
        withPkce: true,
        identity: { name: 'Alice Example' },
        exchangedAt: expect.any(Number),
      });

      // The browser won: two intervals and a half in which a live device login would be polled twice.
      const polls = playground.facebook.deviceLogin(userCode)!.polls.length;
      const anotherPoll = playground.facebook.waitForDeviceLogin((login) => login.userCode === userCode && login.polls.length > polls, 2.5 * INTERVAL_SECONDS * 1000);
      await expect(anotherPoll).rejects.toThrow(/timed out/);
      expect(playground.facebook.deviceLogin(userCode)).toMatchObject({ state: 'pending', tooFastPolls: 0 });
    } finally {
      await page.close();
    }
  });
});
