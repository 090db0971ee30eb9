/**
 * product_receiver.ProductReceiverService: the dashboard keeps our copy in sync through
 * these three RPCs, all found by product_id. They are the generic Create / Update / Destroy
 * actions, adapted to the tutorial's request and response envelopes.
 *
 * Update applies the ProductReceiver it is given: the dashboard always sends a product's
 * whole public state, and proto3 cannot tell "image unset" from "image cleared", so an
 * empty image clears it.
 */
import { defineService } from '../../framework/index.js';
import { proto } from '../../stubs/index.js';
import type { ProductContext } from '../context.js';

export function productReceiverService({ products }: ProductContext) {
  const s = products.serializer;
  return defineService(proto.product_receiver.ProductReceiverService.service, {
    async CreateProductFromReceiver({ productReceiver }) {
      const product = await products.create(products.parse({ message: productReceiver }, 'create'));
      return { productReceiver: s.toMessage(product) };
    },
    async Update({ productReceiver }) {
      const data = products.parse({ message: productReceiver }, 'update');
      const product = await products.update(productReceiver?.productId, data);
      return { productReceiver: s.toMessage(product) };
    },
    async Delete({ productId }) {
      await products.destroy(productId);
      return {};
    },
  });
}
