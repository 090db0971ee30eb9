import path from 'node:path';

import { Module } from '@nestjs/common';
import { ClientsModule, Transport } from '@nestjs/microservices';

import { DB, openDatabase } from './database.js';
import { DASHBOARD, LikesController } from './likes.controller.js';

@Module({
  imports: [
    // The dashboard's ProductService, as Nest's gRPC client docs register one: a client proxy
    // that keeps one channel to the gRPC peer.
    ClientsModule.register([
      {
        name: DASHBOARD,
        transport: Transport.GRPC,
        options: { package: 'product', protoPath: path.join(process.env.BENCH_PROTO_DIR!, 'product.proto'), url: process.env.BENCH_DASHBOARD_GRPC! },
      },
    ]),
  ],
  controllers: [LikesController],
  providers: [{ provide: DB, useFactory: openDatabase }],
})
export class RestModule {}
