/**
 * The framework's own tables, created in every service database before the service's
 * migrations: the outbox a sender relays from, and the receiver's records of what it has
 * applied (inbox: one row per idempotency key; ordering: the newest sequence applied per
 * entity, and whether the entity was deleted for good). Times are epoch milliseconds, so
 * the same SQL compares them on every dialect.
 */
import { randomUUID } from 'node:crypto';

import type { Migration } from '../db/migrations.js';

export const OUTBOX_TABLE = 'mgrpc_outbox';
export const INBOX_TABLE = 'mgrpc_inbox';
export const ORDERING_TABLE = 'mgrpc_ordering';
export const SETTINGS_TABLE = 'mgrpc_settings';

export const outboxMigration: Migration = {
  name: 'mgrpc-0001-outbox',
  async up({ queryInterface, DataTypes }) {
    await queryInterface.createTable(OUTBOX_TABLE, {
      id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
      topic: { type: DataTypes.STRING(100), allowNull: false },
      payload: { type: DataTypes.TEXT, allowNull: false },
      idempotency_key: { type: DataTypes.STRING(200), allowNull: false },
      ordering_key: { type: DataTypes.STRING(200), allowNull: true },
      // 'pending' until delivered (then the row is deleted) or 'failed' (refused for good).
      state: { type: DataTypes.STRING(10), allowNull: false, defaultValue: 'pending' },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      next_attempt_at: { type: DataTypes.BIGINT, allowNull: false },
      lease_owner: { type: DataTypes.STRING(64), allowNull: true },
      lease_until: { type: DataTypes.BIGINT, allowNull: true },
      last_error: { type: DataTypes.TEXT, allowNull: true },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
    });
    await queryInterface.addIndex(OUTBOX_TABLE, ['state', 'next_attempt_at'], { name: 'mgrpc_outbox_due' });
    await queryInterface.addIndex(OUTBOX_TABLE, ['ordering_key', 'id'], { name: 'mgrpc_outbox_ordering' });
    await queryInterface.createTable(INBOX_TABLE, {
      key: { type: DataTypes.STRING(200), primaryKey: true },
      response: { type: DataTypes.TEXT, allowNull: false },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
    });
    await queryInterface.addIndex(INBOX_TABLE, ['created_at'], { name: 'mgrpc_inbox_age' });
    await queryInterface.createTable(ORDERING_TABLE, {
      key: { type: DataTypes.STRING(300), primaryKey: true },
      sequence: { type: DataTypes.BIGINT, allowNull: false },
      final: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      updated_at: { type: DataTypes.BIGINT, allowNull: false },
    });
    await queryInterface.createTable(SETTINGS_TABLE, {
      name: { type: DataTypes.STRING(100), primaryKey: true },
      value: { type: DataTypes.TEXT, allowNull: false },
    });
    // Names this database as a sender: sequences restart if it is ever recreated, and the
    // receiver keeps its ordering per origin so a fresh sender is not mistaken for a stale one.
    await queryInterface.bulkInsert(SETTINGS_TABLE, [{ name: 'outbox_origin', value: randomUUID() }]);
  },
  async down({ queryInterface }) {
    for (const table of [SETTINGS_TABLE, ORDERING_TABLE, INBOX_TABLE, OUTBOX_TABLE]) await queryInterface.dropTable(table);
  },
};
