/** The __models_words__ as a generic resource: what both the REST views and the gRPC actions work on. */
import { z } from 'zod';

import { ModelResource } from '__framework__';
import type { __Pascal__Config } from './config.js';
import type { __Model__, __Model__Model } from './models/index.js';
import { __model__Serializer } from './serializers.js';

export function __model__Resource(model: __Model__Model, config: __Pascal__Config): ModelResource<__Model__> {
  return new ModelResource<__Model__>({
    name: '__model_words__',
    model,
    serializer: __model__Serializer,
    lookupSchema: z.uuid(),
    // Creation order, with the id breaking ties within one millisecond, so pages are stable.
    ordering: [
      ['createdAt', 'ASC'],
      ['id', 'ASC'],
    ],
    maxPageSize: config.maxPageSize,
    // Lists search the text fields and order and filter by every field; to narrow that, name
    // them here: searchFields, orderingFields, filterFields (docs/api.md#lists).
    // Every change goes to the change log, which Watch__Models__ follows.
    changes: true,
  });
}
