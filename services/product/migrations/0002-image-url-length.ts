import type { Migration } from '../../framework/index.js';

/** Image URLs up to 2048 characters (was 200: too short for signed CDN URLs). */
export const imageUrlLength: Migration = {
  name: '0002-image-url-length',
  async up({ queryInterface, DataTypes }) {
    await queryInterface.changeColumn('products', 'image', { type: DataTypes.STRING(2048), allowNull: true });
  },
  async down({ queryInterface, DataTypes }) {
    await queryInterface.changeColumn('products', 'image', { type: DataTypes.STRING(200), allowNull: true });
  },
};
