/**
 * npm run screenshot: docs/playground.png, the README's picture of the playground after a login. Starts its
 * own playground (on a free port), does what a person would (/login, the link button, Continue as Alice
 * Example) in headless Chromium, and captures the logged-in state.
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
  await page.goto(playground.url);
  await page.getByRole('button', { name: '/ping' }).click();
  await page.getByText('Pong!').waitFor();
  await page.getByLabel('Message #playground').fill('/login');
  await page.getByLabel('Message #playground').press('Enter');
  await page.getByRole('link', { name: /^Open / }).click();
  const facebook = page.frameLocator('iframe[name=phone]');
  await facebook.getByRole('radio', { name: 'Alice Example' }).check();
  await facebook.getByRole('button', { name: 'Continue' }).click();
  await page.locator('.embed-title', { hasText: 'Logged in as Alice Example' }).waitFor();
  await page.locator('.embed-thumbnail').evaluate((image: HTMLImageElement) => image.decode());
  mkdirSync(dirname(output), { recursive: true });
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
  await playground.close();
}
