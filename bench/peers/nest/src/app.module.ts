import { Module } from '@nestjs/common';

import { DB, openDatabase } from './database.js';
import { ProductsController } from './products.controller.js';

@Module({
  controllers: [ProductsController],
  // An async factory provider: Nest awaits the open database before it starts listening.
  providers: [{ provide: DB, useFactory: openDatabase }],
})
export class AppModule {}
