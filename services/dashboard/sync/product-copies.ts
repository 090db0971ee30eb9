/**
 * How the dashboard's product changes reach the product service: each create, update and
 * delete is an outbox entry (topic `product.sync`, ordered per product) written in the
 * change's own transaction, and delivered here over ProductReceiverService with the
 * outbox metadata. The product service may be down for as long as it likes; the changes
 * wait in the dashboard's database and arrive in order when it is back.
 *
 * Delivery converges whatever the receiver already holds: a create that exists there
 * becomes an update, an update of a missing copy becomes a create, deleting a missing copy
 * is done.
 */
import type { Transaction } from 'sequelize';

import { AppError, type DeliveryContext, type Outbox } from '../../framework/index.js';
import type { ProductReceiverClient } from '../clients.js';
import type { Product } from '../models/index.js';

export const PRODUCT_SYNC = 'product.sync';

export interface ProductChange {
  op: 'create' | 'update' | 'delete';
  product: { productId: string; title: string; image: string };
}

function productChange(op: ProductChange['op'], product: Product): ProductChange {
  return { op, product: { productId: product.id, title: product.title, image: product.image ?? '' } };
}

/** Queues one change of a product for the product service, in the change's own transaction. */
export type EnqueueProductChange = (transaction: Transaction, op: ProductChange['op'], product: Product) => Promise<number>;

/**
 * The topic's two halves together: registers the delivery on `outbox` and returns the
 * enqueue the resource calls (resource.ts), so a change is written and sent from here.
 */
export function productCopies(outbox: Outbox, receiver: ProductReceiverClient): EnqueueProductChange {
  outbox.handle(PRODUCT_SYNC, deliverProductChange(receiver));
  return (transaction, op, product) => {
    const change = productChange(op, product);
    return outbox.enqueue(transaction, { topic: PRODUCT_SYNC, payload: change, orderingKey: `product:${change.product.productId}` });
  };
}

function deliverProductChange(receiver: ProductReceiverClient) {
  return async ({ op, product }: ProductChange, { metadata }: DeliveryContext): Promise<void> => {
    const options = { metadata };
    const create = () => receiver.CreateProductFromReceiver({ productReceiver: product }, options);
    const update = () => receiver.Update({ productReceiver: product }, options);
    const codeOf = (err: unknown) => AppError.from(err).code;
    if (op === 'delete') {
      await receiver.Delete({ productId: product.productId }, options).catch((err: unknown) => {
        if (codeOf(err) !== 'NOT_FOUND') throw err;
      });
      return;
    }
    try {
      await (op === 'create' ? create() : update());
    } catch (err) {
      if (op === 'create' && codeOf(err) === 'ALREADY_EXISTS') await update();
      else if (op === 'update' && codeOf(err) === 'NOT_FOUND') await create();
      else throw err;
    }
  };
}
