/**
 * The REST like as Nest's docs lead a user to write it: a controller, the ids checked by
 * ParseUUIDPipe (400), HTTP exceptions for 404 and 409, the dashboard's LikeProduct through
 * the client's service (an Observable, awaited with lastValueFrom) with a 5 s deadline. The
 * work is the bare pipeline's: `SELECT` the product, `INSERT` the like row (unique per user and
 * product), then the call.
 */
import { randomUUID } from 'node:crypto';

import { Body, ConflictException, Controller, HttpCode, Inject, NotFoundException, Param, ParseUUIDPipe, Post, type OnModuleInit } from '@nestjs/common';
import type { ClientGrpc } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { lastValueFrom, type Observable } from 'rxjs';

import { DB, isUniqueViolation, type Db } from './database.js';

export const DASHBOARD = 'DASHBOARD';

const DEADLINE_MS = 5000;

interface ProductService {
  likeProduct(request: { id: string }, metadata: Metadata, options: { deadline: number }): Observable<{ product?: { likes: string | number } }>;
}

@Controller()
export class LikesController implements OnModuleInit {
  private products!: ProductService;

  constructor(
    @Inject(DASHBOARD) private readonly client: ClientGrpc,
    @Inject(DB) private readonly db: Db,
  ) {}

  onModuleInit() {
    this.products = this.client.getService<ProductService>('ProductService');
  }

  @Post('like/:id')
  @HttpCode(200)
  async like(@Param('id', ParseUUIDPipe) productId: string, @Body('user_id', ParseUUIDPipe) userId: string) {
    const [product] = await this.db.all('SELECT id FROM products WHERE id = ?', [productId]);
    if (!product) throw new NotFoundException(`product ${productId} not found`);
    const now = new Date().toISOString();
    try {
      await this.db.all('INSERT INTO product_users (id, user_id, product_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [randomUUID(), userId, productId, now, now]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictException(`user ${userId} already liked product ${productId}`);
      throw err;
    }
    const answer = await lastValueFrom(this.products.likeProduct({ id: productId }, new Metadata(), { deadline: Date.now() + DEADLINE_MS }));
    return { message: 'Success', product_id: productId, user_id: userId, likes: Number(answer.product?.likes ?? 0) };
  }
}
