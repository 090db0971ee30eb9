/**
 * Starts `mgrpc ui` in the terminal and resolves when the user quits. Loads ink and React:
 * import it lazily, once the command knows it has a terminal.
 */
import { render } from 'ink';
import { createElement } from 'react';

import { grpcClientSecurity, withServiceToken } from '../../../services/framework/index.js';
import type { ServiceUrls } from '../../client/api.js';
import type { FollowTarget } from '../../client/follow-products.js';
import { defaultAddress } from '../../grpc-tools/default-address.js';
import { ConsoleApp } from './console-app.js';

/** The dashboard's WatchProducts, which the product table follows (none in a project without it: the REST list is polled). */
async function watchTarget(): Promise<FollowTarget | undefined> {
  const security = grpcClientSecurity(process.env);
  const address = await defaultAddress('product.ProductService').catch(() => undefined);
  if (!address) return undefined;
  return { address: address.value, credentials: security.credentials, metadata: security.serviceToken ? withServiceToken(undefined, security.serviceToken) : undefined };
}

export async function runConsole(urls: ServiceUrls): Promise<void> {
  const watch = await watchTarget();
  const app = render(createElement(ConsoleApp, { urls, watch }), {
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
