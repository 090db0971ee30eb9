/**
 * Builds the OpenAPI 3.1 document of a REST service from its routers: every route they serve
 * (rest/route-list.ts) with the description registered next to it (operations.ts). Nothing is
 * written by hand twice: paths come from the router, bodies from the zod schemas the
 * handlers validate with, errors from the one error shape.
 *
 * @example
 *   const document = buildOpenApiDocument({ title: 'dashboard', router: api, prefix: '/api' });
 */
import { STATUS_CODES } from 'node:http';

import type { Router } from 'express';

import { ERROR_CODES } from '../errors.js';
import { listRoutes } from '../rest/route-list.js';
import { toJsonSchema } from './json-schema.js';
import { describedRoute, type HttpMethod, type JsonSchema, type OperationSpec, type ParameterSpec } from './operations.js';

export interface OpenApiOptions {
  title: string;
  version?: string;
  description?: string;
  router: Router;
  /** Where the router is mounted (default '/api'). */
  prefix?: string;
  /**
   * Which operations need MGRPC_API_KEY: 'writes', or 'all' when reads are protected too.
   * Left out when the API is open, and then the document declares no security scheme
   * (Swagger UI shows no padlocks and no Authorize button).
   */
  protect?: 'writes' | 'all';
}

export type OpenApiDocument = JsonSchema & { openapi: string; paths: Record<string, Record<string, JsonSchema>> };

const METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'Every error: a code from the one error table, a readable message, and the request field it is about, when there is one.',
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_CODES) },
    message: { type: 'string' },
    field: { type: 'string' },
  },
  required: ['code', 'message'],
  additionalProperties: false,
};

/**
 * `/products/:lookup` -> `/products/{id}` (a parameter described with `routeName: 'lookup'`
 * takes its documented name), and the parameter names.
 */
function openApiPath(path: string, names: ReadonlyMap<string, string>): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment;
      const name = names.get(segment.slice(1)) ?? segment.slice(1);
      params.push(name);
      return `{${name}}`;
    })
    .join('/');
  return { path: converted, params };
}

function parameter(spec: ParameterSpec): JsonSchema {
  return {
    name: spec.name,
    in: spec.in,
    ...(spec.description ? { description: spec.description } : {}),
    required: spec.in === 'path' ? true : (spec.required ?? false),
    schema: toJsonSchema(spec.schema),
  };
}

function errorResponse(status: number): JsonSchema {
  return { description: STATUS_CODES[status] ?? `status ${status}`, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

const SECURED = [{ apiKey: [] }, { bearer: [] }];

function operation(spec: OperationSpec, method: HttpMethod, path: string, pathParams: string[], tag: string, protect: OpenApiOptions['protect']): JsonSchema {
  const declared = new Set((spec.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name));
  // A path parameter the description left out is still a parameter (OpenAPI requires it).
  const parameters = [...pathParams.filter((name) => !declared.has(name)).map((name) => parameter({ name, in: 'path', schema: { type: 'string' } })), ...(spec.parameters ?? []).map(parameter)];
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    responses[status] = { description: response.description, ...(response.schema ? { content: { 'application/json': { schema: toJsonSchema(response.schema, 'output') } } } : {}) };
  }
  const secured = protect === 'all' || (protect === 'writes' && spec.write === true);
  for (const status of [...(spec.errors ?? []), ...(secured ? [401] : []), 500]) responses[String(status)] ??= errorResponse(status);
  return {
    operationId: spec.operationId ?? `${method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: spec.tags ?? [tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.requestBody
      ? { requestBody: { required: spec.requestBody.required ?? true, ...(spec.requestBody.description ? { description: spec.requestBody.description } : {}), content: { 'application/json': { schema: toJsonSchema(spec.requestBody.schema) } } } }
      : {}),
    responses,
    ...(secured ? { security: SECURED } : {}),
  };
}

export function buildOpenApiDocument(options: OpenApiOptions): OpenApiDocument {
  const prefix = options.prefix ?? '/api';
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of listRoutes(options.router, prefix)) {
    const described = describedRoute(route.router, route.localPath) ?? {};
    const names = new Map(
      Object.values(described).flatMap((spec) => (spec?.parameters ?? []).flatMap((p) => (p.in === 'path' && p.routeName ? [[p.routeName, p.name] as const] : []))),
    );
    const { path, params } = openApiPath(route.path, names);
    const tag = route.path.slice(prefix.length).split('/').find((s) => s !== '') ?? 'api';
    for (const method of METHODS) {
      if (!route.methods.includes(method)) continue;
      const spec = described[method] ?? { summary: `${method.toUpperCase()} ${route.path} (undocumented)`, responses: { 200: { description: 'undocumented' } } };
      (paths[path] ??= {})[method] = operation(spec, method, path, params, tag, options.protect);
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: options.title, version: options.version ?? '0.1.0', ...(options.description ? { description: options.description } : {}) },
    paths,
    components: {
      schemas: { Error: ERROR_SCHEMA },
      ...(options.protect
        ? {
            securitySchemes: {
              apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: "the service's MGRPC_API_KEY" },
              bearer: { type: 'http', scheme: 'bearer', description: 'MGRPC_API_KEY as a bearer token' },
            },
          }
        : {}),
    },
  };
}
