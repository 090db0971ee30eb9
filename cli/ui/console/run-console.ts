/**
 * Starts `mgrpc ui` in the terminal and resolves when the user quits. Loads ink and React:
 * import it lazily, once the command knows it has a terminal.
 */
import { render } from 'ink';
import { createElement } from 'react';

import type { ServiceUrls } from '../../client/api.js';
import { ConsoleApp } from './console-app.js';

export async function runConsole(urls: ServiceUrls): Promise<void> {
  const app = render(createElement(ConsoleApp, { urls }), {
    // q and Ctrl+C quit through the app, which stops its polling first.
    exitOnCtrlC: false,
    patchConsole: false,
    // Not `incrementalRendering`: in ink 6.8 it moves the cursor one line short when the frame
    // ends in a newline and leaves stale lines behind. The standard redraw is wrapped in
    // synchronized-output markers, which terminals show as one update (no flicker), and it
    // only happens when state changed.
  });
  await app.waitUntilExit();
}
