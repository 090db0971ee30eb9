/** user.UserService on the dashboard: GetUser answers with a random user's id. */
import { AppError, defineService } from '../../framework/index.js';
import { proto } from '../../stubs/index.js';
import type { DashboardContext } from '../context.js';

export function userService({ models, sequelize }: DashboardContext) {
  return defineService(proto.user.UserService.service, {
    async GetUser() {
      const user = await models.User.findOne({ order: sequelize.random() });
      if (!user) {
        throw new AppError('FAILED_PRECONDITION', 'there are no users yet: create one with `mgrpc user create` (POST /api/user)');
      }
      return { id: user.id };
    },
  });
}
