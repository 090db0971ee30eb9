/**
 * The OpenAPI operations of a model view set (rest/model-viewset.ts), from its resource:
 * bodies from the serializer's zod schema (the one parseJSON validates with), answers from
 * the fields toJSON shows, the lookup parameter from the resource's lookup schema.
 */
import type { Model } from 'sequelize';

import { withArticle } from '../model/casing.js';
import type { ModelResource } from '../model/resource.js';
import { serializerBodySchema, serializerResponseSchema } from './json-schema.js';
import type { JsonSchema, ParameterSpec, RouteDescription } from './operations.js';

export interface ModelOperations {
  /** For the collection route ('/'). */
  collection: RouteDescription;
  /** For the item route ('/:lookup'). */
  item: RouteDescription;
}

export function modelOperations<M extends Model>(resource: ModelResource<M>, actions: readonly string[]): ModelOperations {
  const has = (action: string) => actions.includes(action);
  const name = resource.name;
  const aName = withArticle(name);
  const one = serializerResponseSchema(resource);
  // Documented under the lookup field's name, as hand-written routes (`/:id/like`) name theirs.
  const lookup: ParameterSpec = { name: String(resource.lookupField), routeName: 'lookup', in: 'path', description: `the ${name}'s ${resource.lookupField}`, schema: resource.lookupSchema ?? { type: 'string' } };
  const page = (param: string, description: string, maximum?: number): ParameterSpec => ({
    name: param,
    in: 'query',
    description,
    schema: { type: 'integer', minimum: param === 'limit' ? 1 : 0, ...(maximum ? { maximum } : {}) } satisfies JsonSchema,
  });
  const collection: RouteDescription = {};
  const item: RouteDescription = {};
  if (has('list')) {
    collection.get = {
      summary: `List ${name}s`,
      parameters: [page('limit', `page size (default and maximum ${resource.maxPageSize})`, resource.maxPageSize), page('offset', 'how many to skip')],
      responses: { 200: { description: `The ${name}s`, schema: { type: 'array', items: one } } },
      errors: [400],
    };
  }
  if (has('create')) {
    collection.post = {
      summary: `Create ${aName}`,
      requestBody: { schema: serializerBodySchema(resource, 'create') },
      responses: { 201: { description: `The new ${name}`, schema: one } },
      errors: [400, 413, 415, 503],
      write: true,
    };
  }
  if (has('retrieve')) item.get = { summary: `Get ${aName}`, parameters: [lookup], responses: { 200: { description: `The ${name}`, schema: one } }, errors: [400, 404] };
  if (has('update')) {
    item.put = {
      summary: `Replace ${aName}'s writable fields`,
      parameters: [lookup],
      requestBody: { schema: serializerBodySchema(resource, 'update') },
      responses: { 200: { description: `The ${name} after the change`, schema: one } },
      errors: [400, 404, 413, 415, 503],
      write: true,
    };
  }
  if (has('partialUpdate')) {
    item.patch = {
      summary: `Change some of ${aName}'s fields`,
      parameters: [lookup],
      requestBody: { schema: serializerBodySchema(resource, 'partial') },
      responses: { 200: { description: `The ${name} after the change`, schema: one } },
      errors: [400, 404, 413, 415, 503],
      write: true,
    };
  }
  if (has('destroy')) item.delete = { summary: `Delete ${aName}`, parameters: [lookup], responses: { 204: { description: 'Deleted' } }, errors: [400, 404, 503], write: true };
  return { collection, item };
}
