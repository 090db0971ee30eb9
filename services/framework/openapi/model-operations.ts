/**
 * The OpenAPI operations of a model view set (rest/model-viewset.ts), from its resource:
 * bodies from the serializer's zod schema (the one parseJSON validates with), answers from
 * the fields toJSON shows, the lookup parameter from the resource's lookup schema.
 */
import type { Model } from 'sequelize';

import { camelCase, withArticle } from '../model/casing.js';
import type { ModelResource } from '../model/resource.js';
import { attributeSchema, serializerBodySchema, serializerResponseSchema } from './json-schema.js';
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
    schema: { type: 'integer', minimum: param === 'offset' ? 0 : 1, ...(maximum ? { maximum } : {}) } satisfies JsonSchema,
  });
  const collection: RouteDescription = {};
  const item: RouteDescription = {};
  if (has('list')) {
    const options = resource.listOptions();
    const text = (param: string, description: string): ParameterSpec => ({ name: param, in: 'query', description, schema: { type: 'string' } });
    collection.get = {
      summary: `List ${name}s`,
      description:
        `A bare array, or with \`page\` a page \`{count, next, previous, results}\` (next and previous are absolute URLs). ` +
        `Filters are exact matches; an empty filter value is ignored.`,
      parameters: [
        ...(options.searchFields.length > 0 ? [text('search', `case-insensitive; every term (split on spaces and commas) must be found in one of: ${options.searchFields.join(', ')}`)] : []),
        ...(options.orderingFields.length > 0 ? [text('ordering', `comma-separated, '-' for descending: ${options.orderingFields.join(', ')}`)] : []),
        ...options.filterFields.map((field): ParameterSpec => ({ name: field, in: 'query', description: `only ${name}s whose ${field} is exactly this`, schema: attributeSchema(resource, camelCase(field)) })),
        { name: 'page', in: 'query', description: "answer a page (1-based, or 'last') instead of a bare array", schema: { anyOf: [{ type: 'integer', minimum: 1 }, { const: 'last' }] } },
        page('page_size', `with page: its size (default ${resource.pageSize})`, resource.maxPageSize),
        page('limit', `without page: how many (default and maximum ${resource.maxPageSize})`, resource.maxPageSize),
        page('offset', 'without page: how many to skip'),
      ],
      responses: {
        200: {
          description: `The ${name}s (a page of them with \`page\`)`,
          schema: {
            anyOf: [
              { type: 'array', items: one },
              {
                type: 'object',
                properties: {
                  count: { type: 'integer', minimum: 0 },
                  next: { anyOf: [{ type: 'string', format: 'uri' }, { type: 'null' }] },
                  previous: { anyOf: [{ type: 'string', format: 'uri' }, { type: 'null' }] },
                  results: { type: 'array', items: one },
                },
                required: ['count', 'next', 'previous', 'results'],
              },
            ],
          },
        },
      },
      errors: [400, 404],
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
