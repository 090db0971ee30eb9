import { z } from 'zod';

import { ModelSerializer } from '../framework/index.js';
import { PRODUCT_LIMITS, type Product } from './models/index.js';

const text = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .max(max, `must be at most ${max} characters`);

/** The product copy: `id` travels as ProductReceiver.product_id; it is written by the dashboard only. */
export const productSerializer = new ModelSerializer<Product>({
  fields: ['id', 'title', 'image', 'createdAt', 'updatedAt'],
  readOnly: ['createdAt', 'updatedAt'],
  messageFields: { id: 'productId' },
  schema: z.object({
    id: z.uuid({ error: 'must be a UUID' }),
    title: text(PRODUCT_LIMITS.title).trim().min(1, 'must not be empty'),
    image: text(PRODUCT_LIMITS.image).nullable().optional(),
  }),
});
