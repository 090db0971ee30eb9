/**
 * The dashboard's products: the generic resource, plus the propagation of every change to
 * the product service's copy. The call runs inside the write's transaction, so a product
 * service that is down or refuses the change rolls the dashboard back (503 "nothing was
 * changed") instead of leaving the two databases disagreeing, which is what the tutorial
 * did. Replays converge: a create that already exists there becomes an update, an update of
 * a missing copy becomes a create, and deleting a missing copy is done.
 */
import type { Attributes, Transaction } from 'sequelize';
import { z } from 'zod';

import { AppError, ModelResource } from '../framework/index.js';
import type { ProductReceiverClient } from './clients.js';
import type { Product, ProductModel } from './models/index.js';
import { productSerializer } from './serializers.js';

function receiverMessage(product: Product) {
  return { productId: product.id, title: product.title, image: product.image ?? '' };
}

function explain(err: unknown): never {
  const error = AppError.from(err);
  if (error.code === 'UNAVAILABLE' || error.code === 'DEADLINE_EXCEEDED') {
    throw new AppError(error.code, `${error.message}; nothing was changed, try again later`, { cause: err });
  }
  throw error;
}

export class ProductResource extends ModelResource<Product> {
  constructor(
    model: ProductModel,
    private readonly receiver: ProductReceiverClient,
  ) {
    super({ name: 'product', model, serializer: productSerializer, lookupSchema: z.uuid(), ordering: [['createdAt', 'ASC'], ['id', 'ASC']] });
  }

  protected override async performCreate(data: Partial<Attributes<Product>>, transaction: Transaction): Promise<Product> {
    const product = await super.performCreate(data, transaction);
    await this.pushUpsert(product, 'create').catch(explain);
    return product;
  }

  protected override async performUpdate(instance: Product, data: Partial<Attributes<Product>>, transaction: Transaction): Promise<Product> {
    const product = await super.performUpdate(instance, data, transaction);
    await this.pushUpsert(product, 'update').catch(explain);
    return product;
  }

  protected override async performDestroy(instance: Product, transaction: Transaction): Promise<void> {
    await super.performDestroy(instance, transaction);
    await this.receiver.Delete({ productId: instance.id }).catch((err: unknown) => {
      if (AppError.from(err).code !== 'NOT_FOUND') explain(err);
    });
  }

  private async pushUpsert(product: Product, first: 'create' | 'update'): Promise<void> {
    const productReceiver = receiverMessage(product);
    const create = () => this.receiver.CreateProductFromReceiver({ productReceiver });
    const update = () => this.receiver.Update({ productReceiver });
    try {
      await (first === 'create' ? create() : update());
    } catch (err) {
      const code = AppError.from(err).code;
      if (first === 'create' && code === 'ALREADY_EXISTS') await update();
      else if (first === 'update' && code === 'NOT_FOUND') await create();
      else throw err;
    }
  }
}
