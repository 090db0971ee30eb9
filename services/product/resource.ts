/**
 * The product service's resource: its copies of the dashboard's products, read over REST
 * and written only through ProductReceiverService (the dashboard's sync). The id is the
 * dashboard's product id.
 */
import { z } from 'zod';

import { ModelResource } from '../framework/index.js';
import type { Product, ProductModels } from './models/index.js';
import { productSerializer } from './serializers.js';

export type ProductCopies = ModelResource<Product>;

export function productCopies({ Product }: ProductModels): ProductCopies {
  return new ModelResource({
    name: 'product',
    model: Product,
    serializer: productSerializer,
    lookupSchema: z.uuid(),
    ordering: [['createdAt', 'ASC'], ['id', 'ASC']],
    // As the dashboard's list: by title only (an image URL's "png" would match every product).
    searchFields: ['title'],
  });
}
