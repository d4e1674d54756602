/**
 * The benchmark's own MariaDB server (never the test one): startMariaDb from src/testing/servers.ts, with
 * its data directory moved to bench/.work/db/datadir so that the generated database survives between runs
 * (dataset.ts decides whether it is still valid), a 1 GiB buffer pool and a larger redo log.
 *
 * startMariaDb creates its user on every start; the user is dropped again before the server stops, and a
 * data directory left with the user by a crash is recreated.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startMariaDb, type MariaDbInfo, type Running } from '../../src/testing/servers.ts';
import { rows, withConnection } from './sql.ts';

export const SERVER_SETTINGS = [
  '--innodb-buffer-pool-size=1G',
  '--innodb-log-file-size=1G',
  '--innodb-sort-buffer-size=64M',
  '--max-connections=200',
  // Every run starts with an empty buffer pool; the warm-up read fills it the same way for each contender.
  '--innodb-buffer-pool-load-at-startup=OFF',
  '--innodb-buffer-pool-dump-at-shutdown=OFF',
];

export interface BenchServer {
  info: MariaDbInfo;
  version: string;
  /** The settings beyond startMariaDb's defaults, for the report. */
  settings: string[];
  stop(): Promise<void>;
}

function initDatadir(datadir: string): void {
  rmSync(datadir, { recursive: true, force: true });
  mkdirSync(datadir, { recursive: true });
  const r = spawnSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${datadir}`, '--user=root', '--auth-root-authentication-method=socket', '--skip-test-db', '--skip-name-resolve'],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (r.status !== 0) throw new Error(`mariadb-install-db failed:\n${r.stdout}${r.stderr}`);
}

/** Drops startMariaDb's user (as root over the socket), so that the next start can create it again. */
function dropUser(info: MariaDbInfo): void {
  spawnSync('mariadb', ['--no-defaults', `--socket=${info.socket}`, '-uroot', '-e', `DROP USER IF EXISTS '${info.user}'@'%'`], { stdio: 'ignore', timeout: 20_000 });
}

export async function startBenchServer(workDir: string, progress: (m: string) => void): Promise<BenchServer> {
  const datadir = join(workDir, 'datadir');
  const start = () => startMariaDb({ bufferPool: '1G', settings: [`--datadir=${datadir}`, ...SERVER_SETTINGS.filter((s) => !s.startsWith('--innodb-buffer-pool-size'))] });
  let running: Running<MariaDbInfo>;
  if (!existsSync(join(datadir, 'mysql'))) {
    progress(`creating the server's data directory ${datadir}`);
    initDatadir(datadir);
    running = await start();
  } else {
    try {
      running = await start();
    } catch (err) {
      progress(`the kept data directory could not be used (${String((err as Error).message).split('\n')[0]}); recreating it`);
      initDatadir(datadir);
      running = await start();
    }
  }
  // Drop the user and stop the server (cleanly: SIGTERM) even when this process ends abruptly.
  const onExit = () => {
    dropUser(running.info);
    running.child.kill('SIGTERM');
    // startMariaDb's own directory holds only the unused initial data directory, binary logs and the socket.
    rmSync(running.dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const version = await withConnection(running.info, undefined, async (conn) => (await rows<{ v: string }>(conn, 'SELECT VERSION() AS v'))[0].v);
  return {
    info: running.info,
    version,
    settings: SERVER_SETTINGS,
    async stop() {
      dropUser(running.info);
      await running.stop();
      process.removeListener('exit', onExit);
    },
  };
}
