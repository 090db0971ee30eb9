/**
 * The dashboard's resources. Products: the generic resource, plus an outbox entry for every
 * change (sync/product-copies.ts), written inside the change's transaction. The product service being
 * down never fails or loses a write here: the change commits, and its copy follows when
 * the product service is reachable again. When it is up, a write returns once the copy
 * is updated (up to `syncWaitMs`), so a client can read its write on either service.
 */
import type { Attributes, Sequelize, Transaction } from 'sequelize';
import { z } from 'zod';

import { AppError, ModelResource, type Outbox } from '../framework/index.js';
import type { DashboardModels, Product, ProductModel, User } from './models/index.js';
import { productSerializer, userSerializer } from './serializers.js';
import type { EnqueueProductChange } from './sync/product-copies.js';

export class ProductResource extends ModelResource<Product> {
  constructor(
    model: ProductModel,
    private readonly outbox: Outbox,
    private readonly enqueueChange: EnqueueProductChange,
    private readonly syncWaitMs: number,
  ) {
    // Searched by title only: an image URL's "https" or "png" would match every product.
    super({ name: 'product', model, serializer: productSerializer, lookupSchema: z.uuid(), changes: true, ordering: [['createdAt', 'ASC'], ['id', 'ASC']], searchFields: ['title'] });
  }

  override async create(data: Partial<Attributes<Product>>): Promise<Product> {
    return (await this.outbox.writeThrough(() => super.create(data), this.syncWaitMs)).result;
  }

  override async update(lookup: unknown, data: Partial<Attributes<Product>>): Promise<Product> {
    return (await this.outbox.writeThrough(() => super.update(lookup, data), this.syncWaitMs)).result;
  }

  override async destroy(lookup: unknown): Promise<void> {
    await this.outbox.writeThrough(() => super.destroy(lookup), this.syncWaitMs);
  }

  protected override async performCreate(data: Partial<Attributes<Product>>, transaction: Transaction): Promise<Product> {
    const product = await super.performCreate(data, transaction);
    await this.enqueueChange(transaction, 'create', product);
    return product;
  }

  protected override async performUpdate(instance: Product, data: Partial<Attributes<Product>>, transaction: Transaction): Promise<Product> {
    const product = await super.performUpdate(instance, data, transaction);
    await this.enqueueChange(transaction, 'update', product);
    return product;
  }

  protected override async performDestroy(instance: Product, transaction: Transaction): Promise<void> {
    await super.performDestroy(instance, transaction);
    await this.enqueueChange(transaction, 'delete', instance);
  }
}

/**
 * A random user's id, for GetUser and GET /api/user alike: one answer, FAILED_PRECONDITION,
 * when there is none (the request is fine; the system is not ready for it yet).
 */
export async function randomUserId({ User }: DashboardModels, sequelize: Sequelize): Promise<string> {
  const user = await User.findOne({ order: sequelize.random() });
  if (!user) throw new AppError('FAILED_PRECONDITION', 'there are no users yet: create one with `mgrpc user create` (POST /api/user)');
  return user.id;
}

/** Users as a generic resource, for the admin (the API's /user routes are the tutorial's own). */
export function userResource({ User: model }: DashboardModels): ModelResource<User> {
  return new ModelResource<User>({ name: 'user', model, serializer: userSerializer, lookupSchema: z.uuid(), ordering: [['createdAt', 'ASC'], ['id', 'ASC']] });
}
