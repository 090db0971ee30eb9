/**
 * The REST counterpart of the generic gRPC actions (DRF's ModelViewSet): the same
 * ModelResource behind GET/POST on the collection and GET/PUT/PATCH/DELETE on an item.
 *
 * @example
 *   router.use('/products', modelViewSet(products));                 // all actions
 *   router.use('/products', modelViewSet(products, ['list']));       // read-only list
 *
 * The router also registers the resource with the web admin (admin/registry.ts), with the
 * same actions: what the API may do to it, the admin may do; `admin` adds columns to its pages.
 */
import type { Model } from 'sequelize';

import { markForAdmin, type AdminOptions } from '../admin/registry.js';
import type { ModelResource } from '../model/resource.js';
import { modelOperations } from '../openapi/model-operations.js';
import { describeRoute } from '../openapi/operations.js';
import { methodNotAllowed } from './error-handler.js';
import { Router } from './express.js';
import { LIST_PARAMS, listPage, parseListRequest } from './list-request.js';

export const VIEW_ACTIONS = ['list', 'create', 'retrieve', 'update', 'partialUpdate', 'destroy'] as const;
export type ViewAction = (typeof VIEW_ACTIONS)[number];

export function modelViewSet<M extends Model>(resource: ModelResource<M>, actions: readonly ViewAction[] = VIEW_ACTIONS, options: { admin?: AdminOptions } = {}): Router {
  const router = Router();
  markForAdmin(router, resource, actions, options.admin);
  const has = (a: ViewAction) => actions.includes(a);
  const s = resource.serializer;
  const clash = resource.listOptions().filterFields.find((name) => (LIST_PARAMS as readonly string[]).includes(name));
  if (has('list') && clash) throw new Error(`filterFields: '${clash}' is also a list parameter (${LIST_PARAMS.join(', ')}); leave it out of filterFields`);

  const collection = router.route('/');
  const collectionMethods: string[] = [];
  if (has('list')) {
    collectionMethods.push('GET');
    collection.get(async (req, res) => {
      const { query, page } = parseListRequest(resource, req);
      if (page) {
        res.json(await listPage(resource, req, query, page, (item) => s.toJSON(item)));
        return;
      }
      res.json((await resource.list(query)).map((item) => s.toJSON(item)));
    });
  }
  if (has('create')) {
    collectionMethods.push('POST');
    collection.post(async (req, res) => {
      const created = await resource.create(resource.parse({ json: req.body }, 'create'));
      res.status(201).json(s.toJSON(created));
    });
  }
  collection.all(methodNotAllowed(collectionMethods));

  const item = router.route('/:lookup');
  const itemMethods: string[] = [];
  if (has('retrieve')) {
    itemMethods.push('GET');
    item.get(async (req, res) => {
      res.json(s.toJSON(await resource.retrieve(req.params.lookup)));
    });
  }
  if (has('update')) {
    itemMethods.push('PUT');
    item.put(async (req, res) => {
      resource.parseLookup(req.params.lookup);
      res.json(s.toJSON(await resource.update(req.params.lookup, resource.parse({ json: req.body }, 'update'))));
    });
  }
  if (has('partialUpdate')) {
    itemMethods.push('PATCH');
    item.patch(async (req, res) => {
      resource.parseLookup(req.params.lookup);
      res.json(s.toJSON(await resource.update(req.params.lookup, resource.parse({ json: req.body }, 'partial'))));
    });
  }
  if (has('destroy')) {
    itemMethods.push('DELETE');
    item.delete(async (req, res) => {
      await resource.destroy(req.params.lookup);
      res.status(204).end();
    });
  }
  if (itemMethods.length > 0) item.all(methodNotAllowed(itemMethods));
  const operations = modelOperations(resource, actions);
  describeRoute(router, '/', operations.collection);
  describeRoute(router, '/:lookup', operations.item);
  return router;
}
