/**
 * LikeProduct as NestJS's gRPC docs lead a user to write it: a controller method bound with
 * @GrpcMethod, a failure thrown as an RpcException carrying the gRPC status. The work is the
 * bare baseline's: one prepared autocommit `UPDATE … RETURNING *` per call.
 */
import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';

import { DB, type Db } from './database.js';

interface ProductRow {
  id: string;
  title: string;
  image: string | null;
  likes: number;
}

@Controller()
export class ProductsController {
  constructor(@Inject(DB) private readonly db: Db) {}

  @GrpcMethod('ProductService', 'LikeProduct')
  async likeProduct(data: { id: string }) {
    const [row] = await this.db.all<ProductRow>('UPDATE products SET likes = likes + 1, updated_at = ? WHERE id = ? RETURNING *', [new Date().toISOString(), data.id]);
    if (!row) throw new RpcException({ code: status.NOT_FOUND, message: `product ${data.id} not found` });
    return { product: { id: row.id, title: row.title, image: row.image ?? '', likes: row.likes } };
  }
}
