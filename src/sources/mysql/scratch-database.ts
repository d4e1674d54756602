/**
 * A scratch database for importing an SQL dump (`snapshot:import`): created on the environment's own
 * server beside its database, under a unique name (`<db>__envsnap_import_<hex>`, see stagingSchema),
 * with that database's character set. The dump is cut into statements (sql-statements.ts) and sent
 * one at a time over one connection, byte for byte as the stock client would send them, so the
 * server's own parser judges it and a rejected statement is named by its line. Statements that
 * would act outside the scratch database — USE, CREATE/DROP DATABASE — or on the whole server —
 * SET GLOBAL, CHANGE MASTER — are left out (listed in the summary). The loaded database is then
 * captured like any other by a MysqlSource that records it under the environment's database name.
 *
 * The scratch database is dropped by drop(), which callers run in a finally, and by
 * dropAllScratchDatabases() on SIGINT/SIGTERM (a pending finally never runs once the process exits).
 */
import { randomBytes } from 'node:crypto';
import { EnvsnapError, isEnvsnapError } from '../../core/errors.ts';
import type { CaptureOptions } from '../source.ts';
import { errorText, MysqlConnection, serverAddress, sqlErrno, type MysqlConnectionSettings } from './connection.ts';
import { MysqlSource, type MysqlSourceOptions } from './mysql-source.ts';
import { quoteIdent } from './quote.ts';
import { splitSqlStatements, statementAction } from './sql-statements.ts';
import { trackScratchDatabase, untrackScratchDatabase } from './scratch-registry.ts';
import { stagingSchema } from './swap.ts';

export interface SqlLoadSummary {
  /** Statements run. */
  statements: number;
  /** Bytes of SQL read. */
  bytes: number;
  /** Statements left out, as "USE shop (line 20)" (the first 20). */
  skipped: string[];
  skippedCount: number;
}


export class ScratchDatabase {
  /** The scratch database's name on the server. */
  readonly name: string;
  /** The environment's database settings (the scratch database lives beside it). */
  readonly env: MysqlConnectionSettings;
  private readonly conn: MysqlConnection;
  private dropped = false;
  /** A statement may be running on conn (load() in progress). */
  private loading = false;

  private constructor(env: MysqlConnectionSettings, name: string, conn: MysqlConnection) {
    this.env = env;
    this.name = name;
    this.conn = conn;
  }

  /** Connects and creates the scratch database (with the environment database's character set when it exists). */
  static async create(env: MysqlConnectionSettings): Promise<ScratchDatabase> {
    const name = stagingSchema(env.database, `import_${randomBytes(4).toString('hex')}`);
    const conn = await MysqlConnection.open(env, { binaryClient: true });
    const scratch = new ScratchDatabase(env, name, conn);
    try {
      const [cs] = await conn.query<{ c: string; k: string }>(
        'SELECT DEFAULT_CHARACTER_SET_NAME AS c, DEFAULT_COLLATION_NAME AS k FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
        [env.database],
      );
      const charset = cs && /^\w+$/.test(cs.c) && /^\w+$/.test(cs.k) ? ` CHARACTER SET ${cs.c} COLLATE ${cs.k}` : '';
      trackScratchDatabase(scratch);
      await conn.query(`CREATE DATABASE ${quoteIdent(name)}${charset}`);
      await conn.query(`USE ${quoteIdent(name)}`);
      // As a session of the stock client starts: utf8mb4, the server's time zone; and not written to
      // the binary log (a scratch copy is nothing for replicas; needs a privilege, so optional).
      await conn.query('SET NAMES utf8mb4');
      await conn.query('SET time_zone = @@GLOBAL.time_zone');
      await conn.query('SET SESSION sql_log_bin = 0').catch(() => {});
    } catch (err) {
      await scratch.drop().catch(() => {});
      if (isEnvsnapError(err)) throw err;
      throw new EnvsnapError(
        'SOURCE_FAILED',
        `${env.name}: cannot create the scratch database "${name}" on ${serverAddress(env)} to load the dump into (${serverMessage(err)}): grant user "${env.user}" CREATE and DROP on databases named ${env.database}__envsnap_*, as restores need too`,
        { cause: err },
      );
    }
    return scratch;
  }

  /**
   * Runs the dump's statements in the scratch database. `file` names the dump in messages. Rejects
   * with INVALID_ARGUMENT when the server refuses a statement (naming its line), the dump ends inside
   * a string or comment, or it holds more than one database; the scratch database is then the
   * caller's to drop.
   */
  async load(sql: AsyncIterable<Buffer>, file: string, opts: CaptureOptions): Promise<SqlLoadSummary> {
    const summary: SqlLoadSummary = { statements: 0, bytes: 0, skipped: [], skippedCount: 0 };
    const counted = async function* () {
      for await (const piece of sql) {
        summary.bytes += piece.length;
        yield piece;
      }
    };
    let database: string | undefined;
    let line = 0;
    this.loading = true;
    try {
      for await (const st of splitSqlStatements(counted())) {
        line = st.line;
        const action = statementAction(st.sql);
        if (!action.run) {
          if (action.database !== undefined) {
            if (database !== undefined && action.database !== database) {
              throw new EnvsnapError(
                'INVALID_ARGUMENT',
                `${file} holds more than one database (${database}, and ${action.database} at line ${st.line}): import a dump of one database (mariadb-dump DATABASE, without --databases or --all-databases)`,
              );
            }
            database = action.database;
          }
          summary.skippedCount++;
          if (summary.skipped.length < 20) summary.skipped.push(`${action.what}${action.database !== undefined ? ` ${action.database}` : ''} (line ${st.line})`);
          continue;
        }
        try {
          await this.conn.execute(st.sql.toString('latin1'));
        } catch (err) {
          if (sqlErrno(err) === undefined) {
            throw new EnvsnapError('SOURCE_FAILED', `${file}: the connection to ${serverAddress(this.env)} failed while loading the statement at line ${st.line} (${serverMessage(err)}): check the server and import again`, { cause: err });
          }
          throw new EnvsnapError(
            'INVALID_ARGUMENT',
            `${file}: the server rejected the statement at line ${st.line} (error ${sqlErrno(err)}: ${serverMessage(err)}): fix the dump there, or check that it is a MySQL/MariaDB dump of one database`,
            { cause: err },
          );
        }
        summary.statements++;
        opts.progress.update({ phase: `loading ${file}`, files: summary.statements, bytes: summary.bytes });
      }
    } catch (err) {
      if (isEnvsnapError(err, 'INVALID_ARGUMENT') && /^the SQL ends inside|^line \d+:/.test(err.message)) {
        throw new EnvsnapError('INVALID_ARGUMENT', `${file}: ${err.message}: copy the complete file again`, { cause: err });
      }
      if (isEnvsnapError(err)) throw err;
      throw new EnvsnapError('SOURCE_FAILED', `${file}: loading the dump failed after line ${line} (${errorText(err)}): check the server and import again`, { cause: err });
    } finally {
      this.loading = false;
    }
    return summary;
  }

  /** A source over the loaded scratch database, recorded under the environment database's name. */
  source(opts: Omit<MysqlSourceOptions, 'importedAs'> = {}): MysqlSource {
    return new MysqlSource({ ...this.env, database: this.name }, { ...opts, importedAs: this.env.database });
  }

  /**
   * Drops the scratch database and closes the connection; idempotent. A statement still loading (an
   * interrupt) is cut off first, so it holds no lock the drop would wait for. Rejects naming the
   * database when it cannot drop it.
   */
  async drop(): Promise<void> {
    if (this.dropped) return;
    this.dropped = true;
    if (this.loading) this.conn.destroy();
    let conn = this.conn;
    try {
      if (conn.fatal) conn = await MysqlConnection.open(this.env);
      await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(this.name)}`);
      untrackScratchDatabase(this);
    } catch (err) {
      throw new EnvsnapError('SOURCE_FAILED', `${this.env.name}: the scratch database "${this.name}" on ${serverAddress(this.env)} could not be dropped (${serverMessage(err)}): drop it by hand`, { cause: err });
    } finally {
      await Promise.all([this.conn.close(), conn === this.conn ? undefined : conn.close()]);
    }
  }
}

/** A server message read over the binary-client connection (latin1 text) back as UTF-8 when it is. */
function serverMessage(err: unknown): string {
  const text = errorText(err);
  const utf8 = Buffer.from(text, 'latin1').toString('utf8');
  return utf8.includes('\ufffd') ? text : utf8;
}
