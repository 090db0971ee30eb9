import { z } from 'zod';

import { productFields } from '../contracts/product.js';
import { ModelSerializer } from '../framework/index.js';
import type { Product } from './models/index.js';

/** The product copy: `id` travels as ProductReceiver.product_id; it is written by the dashboard only. */
export const productSerializer = new ModelSerializer<Product>({
  fields: ['id', 'title', 'image', 'createdAt', 'updatedAt'],
  readOnly: ['createdAt', 'updatedAt'],
  messageFields: { id: 'productId' },
  schema: z.object({ id: z.uuid({ error: 'must be a UUID' }), ...productFields }),
});
