/** user.UserService on the dashboard: GetUser answers with a random user's id. */
import { defineService } from '../../framework/index.js';
import { proto } from '../../stubs/index.js';
import type { DashboardContext } from '../context.js';
import { randomUserId } from '../resource.js';

export function userService({ models, sequelize }: DashboardContext) {
  return defineService(proto.user.UserService.service, {
    async GetUser() {
      return { id: await randomUserId(models, sequelize) };
    },
  });
}
