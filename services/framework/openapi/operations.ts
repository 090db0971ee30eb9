/**
 * Where routes describe themselves for the OpenAPI document: next to the route, on the router
 * it is registered on, with the same zod schemas its handler validates with. The document
 * (document.ts) walks the routers and picks these descriptions up; a route without one is
 * still listed, marked undocumented.
 *
 * @example
 *   router.route('/products/:id/like').post(like);
 *   describeRoute(router, '/products/:id/like', {
 *     post: { summary: 'Like a product', requestBody: { schema: likeBody }, responses: { 200: { description: 'Liked', schema: liked } }, errors: [400, 404, 409] },
 *   });
 */
import type { Router } from 'express';
import { z } from 'zod';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses) written by hand. */
export type JsonSchema = Record<string, unknown>;

/** A zod schema (converted with z.toJSONSchema) or a JSON Schema. */
export type SchemaSource = z.ZodType | JsonSchema;

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ParameterSpec {
  /** The documented name (`id` in `/products/{id}`). */
  name: string;
  in: 'path' | 'query';
  /** The name in the express route when it differs from `name` (`lookup` in `/:lookup`). */
  routeName?: string;
  description?: string;
  required?: boolean;
  schema: SchemaSource;
}

export interface ResponseSpec {
  description: string;
  /** The JSON body; none for an empty response (204). */
  schema?: SchemaSource;
}

export interface OperationSpec {
  summary: string;
  description?: string;
  tags?: string[];
  operationId?: string;
  parameters?: ParameterSpec[];
  requestBody?: { schema: SchemaSource; required?: boolean; description?: string };
  /** Successful answers by status. */
  responses: Record<number, ResponseSpec>;
  /** Error statuses it answers with the error body `{code, message, field?}` (500 is always added). */
  errors?: number[];
  /** Needs the API key when MGRPC_API_KEY is set (writes always; reads with MGRPC_API_KEY_READS=1). */
  write?: boolean;
}

export type RouteDescription = Partial<Record<HttpMethod, OperationSpec>>;

const descriptions = new WeakMap<Router, Map<string, RouteDescription>>();

/** Describes the operations of `path` on `router` (the path as registered there, e.g. '/:lookup'). */
export function describeRoute(router: Router, path: string, operations: RouteDescription): void {
  let byPath = descriptions.get(router);
  if (!byPath) descriptions.set(router, (byPath = new Map()));
  byPath.set(path, { ...byPath.get(path), ...operations });
}

/** What `describeRoute` recorded for a route, if anything. */
export function describedRoute(router: Router, path: string): RouteDescription | undefined {
  return descriptions.get(router)?.get(path);
}
