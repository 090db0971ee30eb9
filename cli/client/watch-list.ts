/**
 * `mgrpc product list --watch`: the dashboard's products as the watch stream has them, then
 * one line per change as it is committed, until Ctrl-C. The stream is resumed by itself
 * after a disconnect (follow-products.ts); a notice goes to stderr meanwhile.
 *
 *   created  5d0c…  'Pen'  likes 0
 *   updated  5d0c…  'Pen'  likes 1
 */
import { grpcClientSecurity, withServiceToken } from '../../services/framework/index.js';
import { defaultAddress } from '../grpc-tools/default-address.js';
import { asClientProduct, followProducts } from './follow-products.js';
import { formatProductList, printable } from './format.js';

/** Follows until SIGINT/SIGTERM; resolves then. */
export async function watchProductList(addr: string | undefined, write: (text: string) => void, warn: (text: string) => void): Promise<void> {
  const security = grpcClientSecurity(process.env);
  const address = addr ?? (await defaultAddress('product.ProductService')).value;
  const follower = followProducts(
    { address, credentials: security.credentials, metadata: security.serviceToken ? withServiceToken(undefined, security.serviceToken) : undefined },
    {
      onSnapshot: (products, expired) => {
        if (expired) warn('missed changes while away (the log moved on): the full list again\n');
        write(formatProductList([...products.values()].map(asClientProduct)));
      },
      onChange: ({ kind, product }) => write(`${kind.padEnd(8)} ${product.id}  '${printable(product.title)}'  likes ${product.likes}\n`),
      onDisconnect: (reason, retryMs) => warn(`watch stream ended (${reason}); reconnecting in ${(retryMs / 1000).toFixed(2)} s\n`),
    },
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      follower.stop();
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
