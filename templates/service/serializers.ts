import { z } from 'zod';

import { ModelSerializer } from '__framework__';
import type { __Model__ } from './models/index.js';

// __SERIALIZER_HELPERS__
export const __model__Serializer = new ModelSerializer<__Model__>({
  fields: ['id', __FIELD_LIST__, 'createdAt', 'updatedAt'],
  readOnly: ['id', 'createdAt', 'updatedAt'],
  // __SERIALIZER_OPTIONS__
  schema: z.object({
    // __SERIALIZER_SCHEMA__
  }),
});
