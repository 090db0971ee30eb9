import type { Migration } from '../../framework/index.js';

export const initial: Migration = {
  name: '0001-initial',
  async up({ queryInterface, DataTypes }) {
    await queryInterface.createTable('products', {
      id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
      title: { type: DataTypes.STRING(200), allowNull: false },
      image: { type: DataTypes.STRING(200), allowNull: true },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    });
    await queryInterface.createTable('product_users', {
      id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
      user_id: { type: DataTypes.UUID, allowNull: false },
      product_id: { type: DataTypes.UUID, allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    });
    await queryInterface.addIndex('product_users', ['user_id', 'product_id'], { unique: true, name: 'product_users_user_id_product_id' });
    await queryInterface.addIndex('product_users', ['product_id'], { name: 'product_users_product_id' });
  },
  async down({ queryInterface }) {
    await queryInterface.dropTable('product_users');
    await queryInterface.dropTable('products');
  },
};
