/**
 * The change log: one row per committed change of a watched model, written in the change's
 * own transaction (change-log.ts) and read in `seq` order by every process's feed (feed.ts).
 *
 * `seq` must grow in commit order, or a reader that has passed seq 7 would never see a
 * seq 6 committed after it. On SQLite it does by itself: one writer at a time, so rows are
 * numbered in commit order. On PostgreSQL transactions commit in any order, so a sequence
 * (numbers taken at insert) would not do: the numbers come from one counter row
 * (`mgrpc_change_counter`), updated as the transaction's last write, whose row lock is held
 * until the commit. The next writer gets its numbers only after that commit, so the log is a
 * gap-free prefix in every snapshot. The cost: writers of changes commit one at a time (they
 * overlap everywhere else); the like path batches its likes, and performance.md gives the figure.
 */
import type { Migration } from '../db/migrations.js';
import { SETTINGS_TABLE } from '../sync/tables.js';

export const CHANGES_TABLE = 'mgrpc_changes';
/** The settings row holding the highest `seq` pruned: a resume point below it has lost changes. */
export const PRUNED_SETTING = 'changes_pruned_through';
/** PostgreSQL: the one-row table whose `seq` is the last number handed out. */
export const COUNTER_TABLE = 'mgrpc_change_counter';
/** The PostgreSQL channel a commit that wrote changes notifies (the payload is empty). */
export const CHANGES_CHANNEL = 'mgrpc_changes';

export const changesMigration: Migration = {
  name: 'mgrpc-0002-changes',
  async up({ queryInterface, DataTypes }) {
    const postgres = queryInterface.sequelize.getDialect() === 'postgres';
    await queryInterface.createTable(CHANGES_TABLE, {
      // SQLite: INTEGER PRIMARY KEY AUTOINCREMENT (never reused after pruning). PostgreSQL: from the counter.
      seq: postgres ? { type: DataTypes.BIGINT, primaryKey: true } : { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      topic: { type: DataTypes.STRING(100), allowNull: false },
      key: { type: DataTypes.STRING(200), allowNull: false },
      // created | updated | deleted
      kind: { type: DataTypes.STRING(10), allowNull: false },
      // The object as the watch stream sends it (its proto message as JSON), after the change.
      data: { type: DataTypes.TEXT, allowNull: false },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
    });
    await queryInterface.bulkInsert(SETTINGS_TABLE, [{ name: PRUNED_SETTING, value: '0' }]);
    if (!postgres) return;
    await queryInterface.createTable(COUNTER_TABLE, {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      seq: { type: DataTypes.BIGINT, allowNull: false },
    });
    await queryInterface.bulkInsert(COUNTER_TABLE, [{ id: 1, seq: 0 }]);
    // Wakes the readers of every process at commit (NOTIFY is delivered only then).
    const run = (sql: string) => queryInterface.sequelize.query(sql);
    await run(`CREATE FUNCTION ${CHANGES_TABLE}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${CHANGES_CHANNEL}', '');
        RETURN NULL;
      END $$`);
    await run(`CREATE TRIGGER ${CHANGES_TABLE}_notify AFTER INSERT ON ${CHANGES_TABLE} FOR EACH STATEMENT EXECUTE FUNCTION ${CHANGES_TABLE}_notify()`);
  },
  async down({ queryInterface }) {
    await queryInterface.dropTable(CHANGES_TABLE);
    await queryInterface.bulkDelete(SETTINGS_TABLE, { name: PRUNED_SETTING });
    if (queryInterface.sequelize.getDialect() === 'postgres') {
      await queryInterface.dropTable(COUNTER_TABLE);
      await queryInterface.sequelize.query(`DROP FUNCTION IF EXISTS ${CHANGES_TABLE}_notify()`);
    }
  },
};
