import { z } from 'zod';

import { productFields } from '../contracts/product.js';
import { ModelSerializer } from '../framework/index.js';
import type { Product } from './models/index.js';

export const productSerializer = new ModelSerializer<Product>({
  fields: ['id', 'title', 'image', 'likes', 'createdAt', 'updatedAt'],
  readOnly: ['id', 'likes', 'createdAt', 'updatedAt'],
  schema: z.object(productFields),
});
