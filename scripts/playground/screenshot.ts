/**
 * npm run screenshot: docs/playground.png, the README's picture of the playground after a login. Starts its
 * own playground (on a free port) and does what a person would in headless Chromium: Server Settings (the
 * Verified role and its Linked Roles requirement), Linked Roles (Discord's consent in the phone, Authorize),
 * /login, the message's "Sign in with Facebook in the browser", the Worker's "Continue with Facebook", Continue
 * as Alice Example; then captures the logged-in state, with the requirement met.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { launchChromium } from '../lib/chromium.ts';
import { startPlayground } from './playground.ts';

const output = process.argv[2] ?? 'docs/playground.png';
const playground = await startPlayground({ port: 0 });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  page.setDefaultTimeout(20_000);
  await page.goto(playground.url);
  await page.locator('body[data-connected="true"]').waitFor();
  const menu = page.getByRole('button', { name: 'Playground server' });
  await menu.click();
  await page.getByRole('menuitem', { name: 'Server Settings' }).click();
  await menu.click();
  await page.getByRole('menuitem', { name: 'Linked Roles' }).click();
  const phone = page.frameLocator('iframe[name=phone]');
  await phone.getByRole('button', { name: 'Authorize' }).click();
  await phone.getByRole('link', { name: 'Continue with Facebook' }).waitFor();

  await page.getByLabel('Message #playground').fill('/login');
  await page.getByLabel('Message #playground').press('Enter');
  await page.getByRole('link', { name: /^Sign in with Facebook in the browser/ }).click();
  await phone.getByRole('button', { name: 'Continue with Facebook', exact: true }).click();
  await phone.getByRole('radio', { name: 'Alice Example' }).check();
  await phone.getByRole('button', { name: 'Continue' }).click();
  await phone.getByRole('heading', { name: 'Signed in as Alice Example' }).waitFor();
  await page.locator('.embed-title', { hasText: 'Logged in as Alice Example' }).waitFor();
  await page.locator('.requirement[data-met="true"]').waitFor();
  await page.locator('.embed-thumbnail').evaluate((image: HTMLImageElement) => image.decode());
  mkdirSync(dirname(output), { recursive: true });
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  await playground.close();
}
