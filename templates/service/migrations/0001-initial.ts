import type { Migration } from '__framework__';

export const initial: Migration = {
  name: '0001-initial',
  async up({ queryInterface, DataTypes, transaction }) {
    await queryInterface.createTable('__table__', {
      id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
      // __MIGRATION_COLUMNS__
      created_at: { type: DataTypes.DATE, allowNull: false },
      updated_at: { type: DataTypes.DATE, allowNull: false },
    }, { transaction });
  },
  async down({ queryInterface, transaction }) {
    await queryInterface.dropTable('__table__', { transaction });
  },
};
