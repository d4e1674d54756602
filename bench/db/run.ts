/**
 * `npm run bench:db`: starts the benchmark's own MariaDB, generates (or reuses) the Magento-shaped
 * database, then for each contender a snapshot, a verified restore into an empty database, and the live
 * workload's throughput during a snapshot; writes bench/.work/db/results.json and the `## Database
 * benchmark` section of docs/BENCHMARKS.md.
 * Env: BENCH_DB_SCALE (default 1 ≈ 2 GB of InnoDB data), BENCH_DB_TOOLS (subset of mariadb-dump,mydumper,envsnap),
 * BENCH_DB_BASELINE_S (default 20), BENCH_DB_CLIENTS (default 4), BENCH_ENVSNAP_MAIN (envsnap entry point).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureDebianPackages, MARIADB_PACKAGES } from '../../src/testing/servers.ts';
import { measure } from '../measure.ts';
import { CONTENDER_NAMES, ROOT, makeContender, restoreDbFor, type Contender, type ContenderName, type Slot } from './contenders.ts';
import { SOURCE_DB, ensureDataset, type DatasetInfo } from './dataset.ts';
import { WorkloadSession, throughput, undoWorkload, watermarks } from './live.ts';
import { writeSection } from '../sections.ts';
import { computeTargets, renderSection, type ContenderResult, type DbResults, type LiveResult, type StepResult } from './report.ts';
import { countsFor } from './schema.ts';
import { startBenchServer, type BenchServer } from './server.ts';
import { quoteName, settle, warmUp, withConnection } from './sql.ts';
import { compareDatabases } from './verify.ts';

const WORK = join(ROOT, 'bench', '.work', 'db');
const RUN = join(WORK, 'run');
const LOGS = join(WORK, 'logs');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const started = performance.now();
const abort = new AbortController();

function progress(message: string): void {
  console.log(`[bench:db ${((performance.now() - started) / 1000).toFixed(0).padStart(5)}s] ${message}`);
}

function options() {
  const scale = Number(process.env.BENCH_DB_SCALE ?? '1');
  if (!(scale > 0 && scale <= 10)) throw new Error(`BENCH_DB_SCALE must be a number in (0, 10], not "${process.env.BENCH_DB_SCALE}"`);
  const tools = (process.env.BENCH_DB_TOOLS ?? CONTENDER_NAMES.join(',')).split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const t of tools) if (!CONTENDER_NAMES.includes(t as ContenderName)) throw new Error(`BENCH_DB_TOOLS: unknown tool "${t}" (known: ${CONTENDER_NAMES.join(', ')})`);
  const baselineS = Number(process.env.BENCH_DB_BASELINE_S ?? '20');
  const clients = Number(process.env.BENCH_DB_CLIENTS ?? '4');
  if (!(baselineS >= 1) || !(clients >= 1)) throw new Error('BENCH_DB_BASELINE_S and BENCH_DB_CLIENTS must be at least 1');
  const keys = ['BENCH_DB_SCALE', 'BENCH_DB_TOOLS', 'BENCH_DB_BASELINE_S', 'BENCH_DB_CLIENTS', 'BENCH_ENVSNAP_MAIN'].filter((k) => process.env[k] !== undefined && !(k === 'BENCH_DB_SCALE' && scale === 1));
  return {
    scale,
    tools: tools as ContenderName[],
    baselineS,
    clients,
    envsnapMain: resolve(process.env.BENCH_ENVSNAP_MAIN ?? join(ROOT, 'bin', 'envsnap.js')),
    command: `${keys.map((k) => `${k}=${process.env[k]} `).join('')}npm run bench:db`,
  };
}

const loadAtStart = loadavg()[0];

function machine(): DbResults['machine'] {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  return { nproc: availableParallelism(), memoryGiB: totalmem() / 1024 ** 3, cpu, kernel: `Linux ${release()}`, loadAtStart, loadAtEnd: loadavg()[0] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/exited with status (124|137)/, 'timed out (status $1)');

/** Runs `fn` unless interrupted; a failure becomes the returned error text. */
async function attempt(what: string, fn: () => Promise<void> | void): Promise<string | undefined> {
  abort.signal.throwIfAborted();
  try {
    await fn();
    return undefined;
  } catch (err) {
    abort.signal.throwIfAborted();
    progress(`${what} FAILED: ${message(err).split('\n')[0]}`);
    return message(err);
  }
}

/** Warm-up read, flush, binlog purge, sync: the same starting state for every measured command. */
async function prepareServer(server: BenchServer): Promise<void> {
  await warmUp(server.info, SOURCE_DB);
  const s = await settle(server.info);
  if (s.waitedS > 5) progress(`  waited ${s.waitedS.toFixed(0)} s for dirty pages to be flushed (${s.dirtyPages} left)`);
  spawnSync('sync');
}

function runPrepare(c: Contender, slot: Slot): void {
  c.prepare(slot).forEach((cmd, i) => measure(cmd, join(LOGS, `${c.name}-prepare-${slot}-${i}`)));
}

async function snapshotStep(server: BenchServer, c: Contender): Promise<StepResult> {
  const result: StepResult = { ok: false };
  result.error = await attempt(`${c.name} snapshot`, async () => {
    runPrepare(c, 'cold');
    await prepareServer(server);
    const m = measure(c.snapshot('cold'), join(LOGS, `${c.name}-snapshot`));
    c.checkOutput('snapshot', m.stdout);
    Object.assign(result, { ok: true, wallS: m.wallS, cpuS: m.cpuS, peakRssKb: m.peakRssKb, outputBytes: c.outputBytes('cold') });
    progress(`${c.name} snapshot: ${m.wallS.toFixed(2)} s, CPU ${m.cpuS.toFixed(1)} s, peak RSS ${(m.peakRssKb / 1024).toFixed(0)} MiB, output ${((result.outputBytes ?? 0) / 2 ** 20).toFixed(1)} MiB`);
  });
  return result;
}

async function dropDatabase(server: BenchServer, db: string): Promise<void> {
  await withConnection(server.info, undefined, (conn) => conn.query(`DROP DATABASE IF EXISTS ${quoteName(db)}`));
}

async function restoreStep(server: BenchServer, c: Contender, dataset: DatasetInfo): Promise<StepResult> {
  const result: StepResult = { ok: false };
  const target = restoreDbFor(c.name);
  result.error = await attempt(`${c.name} restore`, async () => {
    await dropDatabase(server, target);
    await withConnection(server.info, undefined, (conn) => conn.query(`CREATE DATABASE ${quoteName(target)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`));
    await prepareServer(server);
    const m = measure(c.restore(target), join(LOGS, `${c.name}-restore`));
    c.checkOutput('restore', m.stdout);
    Object.assign(result, { ok: true, wallS: m.wallS, cpuS: m.cpuS, peakRssKb: m.peakRssKb });
    progress(`${c.name} restore: ${m.wallS.toFixed(2)} s, CPU ${m.cpuS.toFixed(1)} s, peak RSS ${(m.peakRssKb / 1024).toFixed(0)} MiB; verifying`);
    const problems = await compareDatabases(server.info, SOURCE_DB, dataset.checksums, target);
    result.verified = problems.length === 0;
    if (problems.length > 0) result.problems = problems;
    progress(`${c.name} restore ${result.verified ? 'verified' : `DIFFERS from the source: ${problems.slice(0, 3).join('; ')}`}`);
  });
  await dropDatabase(server, target).catch(() => {});
  return result;
}

async function liveSteps(server: BenchServer, contenders: Contender[], opts: ReturnType<typeof options>): Promise<LiveResult[]> {
  const counts = countsFor(opts.scale);
  const config = { host: server.info.host, port: server.info.port, user: server.info.user, password: server.info.password, database: SOURCE_DB, clients: opts.clients, products: counts.products, customers: counts.customers, bucketMs: 100, maxS: 4 * 3600 };
  const before = await watermarks(server.info, SOURCE_DB);
  const decrements = new Map<number, number>();
  const results: LiveResult[] = [];

  const session = async (name: LiveResult['name'], setup: () => void, during: () => Promise<number | undefined>) => {
    const result: LiveResult = { name, ok: false };
    results.push(result);
    result.error = await attempt(`live workload with ${name}`, async () => {
      setup();
      await prepareServer(server);
      const workload = await WorkloadSession.start(NODE, config, join(LOGS, `workload-${name}.err`));
      let from = 0;
      let to = 0;
      let failure: unknown;
      try {
        await sleep(2000);
        from = Date.now();
        result.snapshotWallS = await during();
        to = Date.now();
        await sleep(500);
      } catch (err) {
        failure = err;
      } finally {
        const out = await workload.stop();
        for (const [p, n] of out.decrements) decrements.set(p, (decrements.get(p) ?? 0) + n);
        if (failure === undefined) {
          const t = throughput(out, from, to);
          Object.assign(result, { ok: true, windowS: t.windowS, txPerS: t.txPerS, minTxPerS1s: t.minTxPerS1s, workloadErrors: out.errors });
          if (out.errors > 0) progress(`  workload errors: ${out.errors}, e.g. ${out.errorSamples[0]}`);
        }
      }
      if (failure !== undefined) throw failure;
      abort.signal.throwIfAborted();
      progress(`live workload with ${name}: ${(result.txPerS ?? 0).toFixed(0)} tx/s over ${(result.windowS ?? 0).toFixed(1)} s, lowest 1-s rate ${(result.minTxPerS1s ?? 0).toFixed(0)}`);
    });
  };

  try {
    await session('baseline', () => {}, async () => {
      await sleep(opts.baselineS * 1000);
      return undefined;
    });
    for (const c of contenders) {
      await session(c.name, () => runPrepare(c, 'live'), async () => {
        const m = measure(c.snapshot('live'), join(LOGS, `${c.name}-snapshot-live`));
        c.checkOutput('snapshot', m.stdout);
        return m.wallS;
      });
      c.discard('live');
    }
    // A second baseline at the end: the drops are against the mean of both, so that a drift of the
    // machine or the database during the phase does not favour the contenders measured first or last.
    await session('baseline-end', () => {}, async () => {
      await sleep(opts.baselineS * 1000);
      return undefined;
    });
  } finally {
    progress('undoing the workload\'s writes');
    await undoWorkload(server.info, SOURCE_DB, before, decrements);
  }
  const baselines = results.filter((r) => r.ok && r.name.startsWith('baseline')).map((r) => r.txPerS ?? 0);
  if (baselines.length > 0) {
    const base = baselines.reduce((a, b) => a + b, 0) / baselines.length;
    for (const r of results.filter((x) => x.ok && !x.name.startsWith('baseline'))) {
      r.dropPct = (1 - (r.txPerS ?? 0) / base) * 100;
      r.lostTx = ((base - (r.txPerS ?? 0)) * (r.windowS ?? 0));
      progress(`throughput drop during the ${r.name} snapshot: ${r.dropPct.toFixed(1)} % of ${base.toFixed(0)} tx/s (${r.lostTx.toFixed(0)} transactions fewer)`);
    }
  }
  return results;
}

async function main(): Promise<void> {
  const opts = options();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (abort.signal.aborted) process.exit(130);
      progress(`${sig}: stopping after the current step (again to exit at once)`);
      abort.abort(new Error(`interrupted by ${sig}`));
    });
  }
  mkdirSync(WORK, { recursive: true });
  for (const dir of [RUN, LOGS]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  progress(`scale ${opts.scale}, contenders ${opts.tools.join(', ')}, work directory ${WORK}`);
  try {
    ensureDebianPackages([...MARIADB_PACKAGES, { binary: 'zstd', pkg: 'zstd' }, { binary: 'mydumper', pkg: 'mydumper' }, { binary: 'myloader', pkg: 'mydumper' }, { binary: '/usr/bin/time', pkg: 'time' }]);
  } catch (err) {
    progress(`installing packages failed; the tools that are missing are reported as not run: ${message(err).split('\n')[0]}`);
  }

  const server = await startBenchServer(WORK, progress);
  progress(`MariaDB ${server.version} on port ${server.info.port}`);
  try {
    const dataset = await ensureDataset(server.info, opts.scale, join(WORK, 'dataset.json'), progress);
    progress(`data set: ${dataset.tables.length} tables, ${dataset.rows} rows, ${((dataset.dataBytes + dataset.indexBytes) / 2 ** 20).toFixed(0)} MiB of InnoDB data + indexes${dataset.reused ? ' (reused)' : ''}`);

    const ctx = { server: server.info, sourceDb: SOURCE_DB, dir: RUN, snapshotTimeoutS: 600 + 3600 * opts.scale, restoreTimeoutS: 600 + 7200 * opts.scale, envsnapMain: opts.envsnapMain, node: NODE };
    const contenders = opts.tools.map((name) => makeContender(name, ctx));
    const results: ContenderResult[] = contenders.map((c) => {
      const unavailable = c.unavailable();
      const r: ContenderResult = { name: c.name, version: unavailable ? 'not available' : c.version(), commands: c.describe(), unavailable };
      progress(`${c.name}: ${unavailable ? `${unavailable}; skipped` : r.version}`);
      return r;
    });
    const available = contenders.filter((_, i) => !results[i].unavailable);

    for (const c of available) results.find((r) => r.name === c.name)!.snapshot = await snapshotStep(server, c);
    for (const c of available) {
      const r = results.find((x) => x.name === c.name)!;
      if (r.snapshot?.ok) r.restore = await restoreStep(server, c, dataset);
    }
    const live = await liveSteps(server, available, opts);

    const { checksums: _, ...datasetSummary } = dataset;
    const report: DbResults = {
      command: opts.command,
      date: new Date().toISOString(),
      machine: machine(),
      server: { version: server.version, settings: server.settings },
      dataset: datasetSummary,
      contenders: results,
      live: { clients: opts.clients, baselineS: opts.baselineS, results: live },
      targets: computeTargets(results, live),
      runS: (performance.now() - started) / 1000,
    };
    writeFileSync(join(WORK, 'results.json'), JSON.stringify(report, null, 2) + '\n');
    const section = renderSection(report);
    const docs = join(ROOT, 'docs', 'BENCHMARKS.md');
    writeSection(docs, section, 'db');
    console.log(`\n${section}\n`);
    progress(`wrote ${join(WORK, 'results.json')} and the Database benchmark section of ${docs}`);
  } finally {
    for (const name of CONTENDER_NAMES) await dropDatabase(server, restoreDbFor(name)).catch(() => {});
    await server.stop();
    rmSync(RUN, { recursive: true, force: true });
    progress('server stopped');
  }
}

main().catch((err) => {
  progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = abort.signal.aborted ? 130 : 1;
});
