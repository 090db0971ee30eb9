import type { Migration } from '../../framework/index.js';

export const initial: Migration = {
  name: '0001-initial',
  async up({ queryInterface, DataTypes }) {
    await queryInterface.createTable('products', {
      id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
      title: { type: DataTypes.STRING(200), allowNull: false },
      image: { type: DataTypes.STRING(200), allowNull: true },
      likes: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    });
    await queryInterface.createTable('users', {
      id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    });
  },
  async down({ queryInterface }) {
    await queryInterface.dropTable('users');
    await queryInterface.dropTable('products');
  },
};
