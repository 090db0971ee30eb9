import { z } from 'zod';

import { productFields } from '../contracts/product.js';
import { ModelSerializer } from '../framework/index.js';
import type { Product, User } from './models/index.js';

export const productSerializer = new ModelSerializer<Product>({
  fields: ['id', 'title', 'image', 'likes', 'createdAt', 'updatedAt'],
  readOnly: ['id', 'likes', 'createdAt', 'updatedAt'],
  schema: z.object(productFields),
});

/** A user has no writable fields: the admin shows users and creates them, as POST /api/user does. */
export const userSerializer = new ModelSerializer<User>({
  fields: ['id', 'createdAt', 'updatedAt'],
  readOnly: ['id', 'createdAt', 'updatedAt'],
  schema: z.object({}),
});
