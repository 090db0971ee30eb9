/**
 * The change log: one row per committed change of a watched model, written in the change's
 * own transaction (change-log.ts) and read in `seq` order by every process's feed (feed.ts).
 *
 * `seq` must grow in commit order, or a reader that has passed seq 7 would never see a
 * seq 6 committed after it. On SQLite it does by itself: one writer at a time, so rows are
 * numbered in commit order. On PostgreSQL a sequence numbers rows as they are inserted and
 * transactions commit in any order, so each row also records `xmax_at`: the first
 * transaction id not yet assigned when it took its number (a fresh snapshot's xmax, taken
 * after the number). Every transaction holding a smaller number already had an id below
 * `xmax_at` (the trigger takes the id before the number). A reader delivers a row only once
 * its snapshot's xmin has reached `xmax_at`, i.e. every such transaction has ended, so a
 * smaller number can no longer appear: rows are delivered in a commit-consistent order, and
 * a gap left before a deliverable row is a rolled-back number, never a late one. Writers are
 * not serialized; a transaction left open (idle in transaction) delays delivery until it ends.
 */
import type { Migration } from '../db/migrations.js';
import { SETTINGS_TABLE } from '../sync/tables.js';

export const CHANGES_TABLE = 'mgrpc_changes';
/** The settings row holding the highest `seq` pruned: a resume point below it has lost changes. */
export const PRUNED_SETTING = 'changes_pruned_through';
/** The PostgreSQL channel a commit that wrote changes notifies (the payload is empty). */
export const CHANGES_CHANNEL = 'mgrpc_changes';

export const changesMigration: Migration = {
  name: 'mgrpc-0002-changes',
  async up({ queryInterface, DataTypes }) {
    const postgres = queryInterface.sequelize.getDialect() === 'postgres';
    await queryInterface.createTable(CHANGES_TABLE, {
      // SQLite: INTEGER PRIMARY KEY AUTOINCREMENT (never reused after pruning). PostgreSQL: set by the trigger below.
      seq: postgres ? { type: DataTypes.BIGINT, primaryKey: true } : { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      topic: { type: DataTypes.STRING(100), allowNull: false },
      key: { type: DataTypes.STRING(200), allowNull: false },
      // created | updated | deleted
      kind: { type: DataTypes.STRING(10), allowNull: false },
      // The object as the watch stream sends it (its proto message as JSON), after the change.
      data: { type: DataTypes.TEXT, allowNull: false },
      xmax_at: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
    });
    await queryInterface.bulkInsert(SETTINGS_TABLE, [{ name: PRUNED_SETTING, value: '0' }]);
    if (!postgres) return;
    const run = (sql: string) => queryInterface.sequelize.query(sql);
    await run(`CREATE SEQUENCE ${CHANGES_TABLE}_seq`);
    await run(`CREATE INDEX ${CHANGES_TABLE}_xmax_at ON ${CHANGES_TABLE} (xmax_at)`);
    // The order matters (see above): the transaction's id, then the number, then a fresh
    // snapshot (a query of its own, so not the statement's older one).
    await run(`CREATE FUNCTION ${CHANGES_TABLE}_number() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM pg_current_xact_id();
        NEW.seq := nextval('${CHANGES_TABLE}_seq');
        SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint INTO NEW.xmax_at FROM (SELECT 1) AS fresh;
        RETURN NEW;
      END $$`);
    await run(`CREATE TRIGGER ${CHANGES_TABLE}_number BEFORE INSERT ON ${CHANGES_TABLE} FOR EACH ROW EXECUTE FUNCTION ${CHANGES_TABLE}_number()`);
    // Wakes the readers of every process at commit (NOTIFY is delivered only then).
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
      await queryInterface.sequelize.query(`DROP SEQUENCE IF EXISTS ${CHANGES_TABLE}_seq; DROP FUNCTION IF EXISTS ${CHANGES_TABLE}_number(); DROP FUNCTION IF EXISTS ${CHANGES_TABLE}_notify()`);
    }
  },
};
