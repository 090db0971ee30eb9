/**
 * LikeProduct as connect-es's docs lead a user to write it: a service implementation
 * registered on a ConnectRouter with the descriptor protoc-gen-es generated, a failure
 * thrown as a ConnectError with its Code. The work is the bare baseline's: one prepared
 * autocommit `UPDATE … RETURNING *` per call. LikeProducts is left out: the router answers
 * it UNIMPLEMENTED, as the proto allows.
 */
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';

import type { Db } from './database.js';
import { ProductService } from './gen/product_pb.js';

interface ProductRow {
  id: string;
  title: string;
  image: string | null;
  likes: number;
}

export function routes(db: Db) {
  return (router: ConnectRouter) =>
    router.service(ProductService, {
      async likeProduct(request) {
        const [row] = await db.all<ProductRow>('UPDATE products SET likes = likes + 1, updated_at = ? WHERE id = ? RETURNING *', [new Date().toISOString(), request.id]);
        if (!row) throw new ConnectError(`product ${request.id} not found`, Code.NotFound);
        return { product: { id: row.id, title: row.title, image: row.image ?? '', likes: BigInt(row.likes) } };
      },
    });
}
