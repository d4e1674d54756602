/**
 * An environment snapshot killed with SIGKILL (nothing can clean up) while the shop is in
 * maintenance mode: no snapshot is listed, check passes, and the next run — recognising the flag the
 * killed run left — takes its snapshot and switches maintenance mode off, so the shop is not left
 * down for good. The database is restored afterwards with equal checksums.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { testMariaDb, uniqueName, type MariaDbInfo } from '../../src/testing/servers.ts';
import { runJson, runOk, spawnCli, stopWhenSeen, writePseudoRandomFile } from './helpers.ts';

describe('environment snapshot killed with SIGKILL under maintenance mode', () => {
  let dir: string;
  let db: MariaDbInfo;
  let dbName: string;
  let admin: mysql.Connection;
  const env = () => ({ SHOP_DB_PASSWORD: db.password });

  before(async () => {
    db = await testMariaDb();
    dbName = uniqueName('crash');
    admin = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, multipleStatements: true });
    await admin.query(`CREATE DATABASE ${dbName}; USE ${dbName};
      CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(200));
      INSERT INTO orders SELECT seq, CONCAT('order ', seq) FROM seq_1_to_20000;`);
    dir = await mkdtemp(join(tmpdir(), 'envsnap-e2e-envcrash-'));
    // Big enough that reading the mounts (done under maintenance mode) takes a moment.
    await mkdir(join(dir, 'shop', 'var'), { recursive: true });
    await mkdir(join(dir, 'shop', 'pub', 'media'), { recursive: true });
    for (let i = 0; i < 6; i++) await writePseudoRandomFile(join(dir, 'shop', 'pub', 'media', `big${i}.bin`), 40 * 1024 * 1024, `media ${i}`);
    await writeFile(
      join(dir, 'envsnap.yaml'),
      `project: crash
repository: repo
environments:
  production:
    type: production
    plan: starter
    root: shop
    mounts: [var, pub/media]
    database: { type: mysql, host: 127.0.0.1, port: ${db.port}, user: ${db.user}, password_env: SHOP_DB_PASSWORD, name: ${dbName} }
    maintenance: { flag: var/.maintenance.flag }
`,
    );
    await runOk(['init'], { cwd: dir });
  });

  after(async () => {
    await admin?.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin?.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves no snapshot, a clean check, and a flag the next run switches off', async () => {
    const flag = join(dir, 'shop', 'var', '.maintenance.flag');
    const run = spawnCli(['-e', 'production', 'snapshot:create'], { cwd: dir, env: env() });
    const seen = await stopWhenSeen(run, { dir: join(dir, 'shop', 'var'), name: /^\.maintenance\.flag$/ }, 'maintenance mode to come on');
    assert.equal(seen, 'stopped', 'the run ended before maintenance mode was seen on');
    run.child.kill('SIGKILL');
    const killed = await run.done;
    assert.equal(killed.signal, 'SIGKILL', `the run ended before it was killed: ${killed.stderr}`);
    assert.ok(existsSync(flag), 'SIGKILL cannot remove the flag; the test expects it to remain');

    assert.deepEqual(await runJson(['snapshot:list'], { cwd: dir }), []);
    await runOk(['unlock'], { cwd: dir });
    await runOk(['check', '--read-data'], { cwd: dir });

    const snap = await runJson(['-e', 'production', 'snapshot:create'], { cwd: dir, env: env() });
    assert.equal(existsSync(flag), false, 'the flag left by the killed run is still there');
    assert.equal((await runJson(['snapshot:list'], { cwd: dir })).length, 1);

    const [before] = await admin.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE ${dbName}.orders`);
    await admin.query(`DELETE FROM ${dbName}.orders WHERE id % 2 = 0`);
    await runOk(['snapshot:restore', snap.shortId, '--only', 'database', '--yes'], { cwd: dir, env: env() });
    const [afterRestore] = await admin.query<mysql.RowDataPacket[]>(`CHECKSUM TABLE ${dbName}.orders`);
    assert.equal(afterRestore[0].Checksum, before[0].Checksum);
    await runOk(['check'], { cwd: dir });
  });
});
