import { descriptor } from '../../services/stubs/descriptor.js';
import { Catalog } from './catalog.js';

/** The catalog of protos/, from the descriptor `mgrpc codegen` embeds in services/stubs. */
export function localCatalog(): Catalog {
  return Catalog.fromJson(descriptor as unknown as Parameters<typeof Catalog.fromJson>[0]);
}
