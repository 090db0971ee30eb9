/**
 * product_receiver.ProductReceiverService: the dashboard keeps our copy in sync through
 * these three RPCs, all found by product_id. They are the generic Create / Update / Destroy
 * actions, adapted to the tutorial's request and response envelopes, and wrapped in
 * `applyOnce`: a change relayed by the dashboard's outbox is applied once, and never
 * after a newer change of the same product (or after its delete).
 *
 * Update applies the ProductReceiver it is given: the dashboard always sends a product's
 * whole public state, and proto3 cannot tell "image unset" from "image cleared", so an
 * empty image clears it.
 */
import { applyOnce, defineService } from '../../framework/index.js';
import { proto } from '../../stubs/index.js';
import type { ProductContext } from '../context.js';

export function productReceiverService({ products, sequelize }: ProductContext) {
  const s = products.serializer;
  const byProduct = (id: unknown) => (typeof id === 'string' && id !== '' ? `product:${id}` : undefined);
  return defineService(proto.product_receiver.ProductReceiverService.service, {
    CreateProductFromReceiver: applyOnce({ sequelize, orderingKey: (req) => byProduct(req.productReceiver?.productId) }, async ({ productReceiver }) => {
      const product = await products.create(products.parse({ message: productReceiver }, 'create'));
      return { productReceiver: s.toMessage(product) };
    }),
    Update: applyOnce({ sequelize, orderingKey: (req) => byProduct(req.productReceiver?.productId) }, async ({ productReceiver }) => {
      const data = products.parse({ message: productReceiver }, 'update');
      const product = await products.update(productReceiver?.productId, data);
      return { productReceiver: s.toMessage(product) };
    }),
    Delete: applyOnce({ sequelize, orderingKey: (req) => byProduct(req.productId), final: true }, async ({ productId }) => {
      await products.destroy(productId);
      return {};
    }),
  });
}
