/**
 * __snake__.__Model__Service: the framework's generic CRUD actions over the __models_words__
 * resource. To change one, replace its entry with your own handler (see defineService).
 */
import { defineService, modelActions, watchAction } from '__framework__';
import { proto } from '__stubs__';
import type { __Pascal__Context } from '../context.js';

export function __model__Service({ __models__ }: __Pascal__Context) {
  const actions = modelActions(__models__);
  return defineService(proto.__snake__.__Model__Service.service, {
    List: actions.List,
    Retrieve: actions.Retrieve,
    Create: actions.Create,
    Update: actions.Update,
    PartialUpdate: actions.PartialUpdate,
    Destroy: actions.Destroy,
    Watch__Models__: watchAction(__models__),
  });
}
