/**
 * An envsnap project for end-to-end tests of environments: a temporary directory with an
 * envsnap.yaml and an initialised repository, an admin connection to the test MariaDB for seeding
 * and checking databases, and what a user compares after a restore (CHECKSUM TABLE of every table).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { testMariaDb, type MariaDbInfo } from '../../src/testing/servers.ts';
import { runOk } from './helpers.ts';

export interface ShopProject {
  dir: string;
  db: MariaDbInfo;
  /** Every privilege, several statements per query. */
  admin: mysql.Connection;
  /** The environment CLI runs need: the database password the configuration names. */
  env: Record<string, string>;
  /** The `database:` value of envsnap.yaml for database `name` of the test server. */
  database(name: string): string;
  /** Writes envsnap.yaml with these `environments:` (indented YAML) and runs `init`. */
  init(environments: string): Promise<void>;
  /** Drops the databases, closes the connection, deletes the directory. */
  dispose(...databases: string[]): Promise<void>;
}

export async function shopProject(prefix: string): Promise<ShopProject> {
  const db = await testMariaDb();
  const dir = await mkdtemp(join(tmpdir(), `envsnap-e2e-${prefix}-`));
  const admin = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, multipleStatements: true });
  return {
    dir,
    db,
    admin,
    env: { SHOP_DB_PASSWORD: db.password },
    database: (name) => `{ type: mysql, host: 127.0.0.1, port: ${db.port}, user: ${db.user}, password_env: SHOP_DB_PASSWORD, name: ${name} }`,
    init: async (environments) => {
      await writeFile(join(dir, 'envsnap.yaml'), `project: ${prefix}\nrepository: repo\nenvironments:\n${environments}`);
      await runOk(['init'], { cwd: dir });
    },
    dispose: async (...databases) => {
      for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** CHECKSUM TABLE of every base table of database `name`, by table. */
export async function checksums(db: MariaDbInfo, name: string): Promise<Record<string, string>> {
  const c = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, database: name });
  try {
    const [tables] = await c.query<mysql.RowDataPacket[]>('SHOW FULL TABLES WHERE Table_type = "BASE TABLE"');
    const out: Record<string, string> = {};
    for (const t of tables) {
      const table = String(Object.values(t)[0]);
      const [rows] = await c.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE \`${table}\``);
      out[table] = String(rows[0].Checksum);
    }
    return out;
  } finally {
    await c.end();
  }
}
