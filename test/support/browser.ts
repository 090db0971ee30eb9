/**
 * A headless Chromium for tests whose subject is a page: Debian's `chromium` package
 * (`.ci/run` installs it when missing) driven by playwright-core. Playwright's own browser
 * download cannot run here, so the executable is always the system one.
 *
 * @example
 *   const browser = await launchBrowser();
 *   try { const page = await browser.newPage(); await page.goto(url); … } finally { await browser.close(); }
 */
import { existsSync } from 'node:fs';

import { chromium, type Browser } from 'playwright-core';

/** Where Debian's package puts it; MGRPC_CHROMIUM overrides (another distribution's path). */
export const CHROMIUM = process.env.MGRPC_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set MGRPC_CHROMIUM`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Without the background-networking flags Chromium keeps dialling Google's hosts, which this
    // closed network refuses; the pages under test are all on loopback.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
