import { z } from 'zod';

import { ModelSerializer } from '../framework/index.js';
import { PRODUCT_LIMITS, type Product } from './models/index.js';

export const productSerializer = new ModelSerializer<Product>({
  fields: ['id', 'title', 'image', 'likes', 'createdAt', 'updatedAt'],
  readOnly: ['id', 'likes', 'createdAt', 'updatedAt'],
  schema: z.object({
    title: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .trim()
      .min(1, 'must not be empty')
      .max(PRODUCT_LIMITS.title, `must be at most ${PRODUCT_LIMITS.title} characters`),
    image: z
      .string({ error: 'must be a string or null' })
      .max(PRODUCT_LIMITS.image, `must be at most ${PRODUCT_LIMITS.image} characters`)
      .nullable()
      .optional(),
  }),
});
