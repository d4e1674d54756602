/**
 * `npm run bench`: generates (or reuses) the data set, runs every tool through snapshot 1, an unchanged
 * snapshot 2, the change, snapshot 3 and a verified restore, then writes results.json and the report.
 * Env: BENCH_TOOLS (subset of envsnap,restic,borg), BENCH_SCALE (default 1), BENCH_DIR (data directory),
 * BENCH_ENVSNAP_MAIN (envsnap entry point, default bin/envsnap.js).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readSection, SECTION_NAMES, writeSection } from './sections.ts';
import { availableParallelism, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { applyChange, datasetSpec, ensureDataset } from './dataset.ts';
import { measure } from './measure.ts';
import { computeTargets, renderReport, type PhaseName, type PhaseResult, type Results, type ToolResult } from './report.ts';
import { TOOL_NAMES, ensureInstalled, makeAdapter, type Adapter, type Command, type ToolName } from './tools.ts';
import { treeStats } from './tree.ts';
import { combineRuns, evictFromPageCache, roundOrders } from './rounds.ts';
import { compareTrees, listTree, type Listing } from './verify.ts';

const WORK = join(import.meta.dirname, '.work');
const LOGS = join(WORK, 'logs');
const started = performance.now();

function progress(message: string): void {
  console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${message}`);
}

function options(): { scale: number; tools: ToolName[]; dataDir: string; command: string } {
  const scale = Number(process.env.BENCH_SCALE ?? '1');
  if (!(scale > 0 && scale <= 1)) throw new Error(`BENCH_SCALE must be a number in (0, 1], not "${process.env.BENCH_SCALE}"`);
  const tools = (process.env.BENCH_TOOLS ?? TOOL_NAMES.join(',')).split(',').map((t) => t.trim()).filter((t) => t !== '');
  for (const t of tools) if (!TOOL_NAMES.includes(t as ToolName)) throw new Error(`BENCH_TOOLS: unknown tool "${t}" (known: ${TOOL_NAMES.join(', ')})`);
  const env = ['BENCH_SCALE', 'BENCH_TOOLS', 'BENCH_DIR', 'BENCH_ENVSNAP_MAIN'].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]} `);
  return { scale, tools: tools as ToolName[], dataDir: resolve(process.env.BENCH_DIR ?? join(WORK, 'data')), command: `${env.join('')}npm run bench` };
}

function machine(): Results['machine'] {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  return { nproc: availableParallelism(), memoryGiB: totalmem() / 1024 ** 3, cpu, kernel: `Linux ${release()}` };
}

function freshDir(path: string): string {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  return path;
}

const MiB = 1024 * 1024;

/**
 * When the last run deleted its restored trees and extra repositories (some 150 000 files). On ext4
 * without a journal, creating files in the minutes after a mass delete scans past the recently freed
 * inodes (they are not reused for 60 s, or 6 minutes while their inode-table block is dirty): a run
 * starting right after another would time that scan in its restores.
 */
const CLEANED_AT = join(WORK, 'cleaned-at');
const SETTLE_MS = 6 * 60_000;

function waitForFileSystemToSettle(): void {
  let at: number;
  try {
    at = Number(readFileSync(CLEANED_AT, 'utf8'));
  } catch {
    return;
  }
  const wait = at + SETTLE_MS - Date.now();
  if (!(wait > 0)) return;
  progress(`waiting ${(wait / 1000).toFixed(0)} s: the previous run deleted its restored trees ${((Date.now() - at) / 1000).toFixed(0)} s ago (see CLEANED_AT in bench/run.ts)`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
}

/** One tool's run through the phases; the first failure is recorded and ends the tool's run. */
class ToolRun {
  readonly adapter: Adapter;
  readonly result: ToolResult;
  readonly repo: string;
  /** Every run of each phase, in order; result.phases holds them combined (see combineRuns). */
  private readonly attempts: Partial<Record<PhaseName, PhaseResult[]>> = {};

  constructor(name: ToolName) {
    this.repo = join(WORK, 'repos', name);
    rmSync(this.repo, { recursive: true, force: true });
    mkdirSync(join(WORK, 'repos'), { recursive: true });
    this.adapter = makeAdapter(name, { repo: this.repo, cache: freshDir(join(WORK, 'cache', name)) });
    this.result = { name, version: '', settings: '', phases: {} };
    const unavailable = this.adapter.unavailable();
    if (unavailable) {
      this.result.version = 'not available';
      this.result.error = unavailable;
      progress(`${name}: ${unavailable}; skipped`);
    } else {
      this.result.version = this.adapter.version();
      this.result.settings = this.adapter.settings();
      progress(`${name}: ${this.result.version} (${this.result.settings})`);
    }
  }

  get ok(): boolean {
    return this.result.error === undefined;
  }

  /** The latest run of a phase. */
  last(phase: PhaseName): PhaseResult | undefined {
    return this.attempts[phase]?.at(-1);
  }

  /** Combines a phase's runs again (after a run's verification changed). */
  recount(phase: PhaseName): void {
    const runs = this.attempts[phase];
    if (runs) this.result.phases[phase] = runs.length === 1 ? runs[0] : combineRuns(runs, 'peakRssKb');
  }

  /**
   * A further round of the first snapshot: init and snapshot 1 into a new repository of its own
   * (kept until the end of the run, so no deletion precedes the next tool's run).
   */
  firstSnapshotRound(round: number, dataDir: string, bytes: number): string | undefined {
    if (!this.ok) return undefined;
    const name = this.result.name;
    const repo = join(WORK, 'repos', `${name}-round${round}`);
    rmSync(repo, { recursive: true, force: true });
    const adapter = makeAdapter(name, { repo, cache: freshDir(join(WORK, 'cache', `${name}-round${round}`)) });
    const target = { adapter, repo };
    if (this.phase('init', adapter.init(), 0, target)) this.phase('snapshot1', adapter.snapshot(1, dataDir), bytes, target);
    return repo;
  }

  phase(phase: PhaseName, command: Command, bytes: number, target: { adapter: Adapter; repo: string } = this): PhaseResult | undefined {
    if (!this.ok) return undefined;
    const name = this.result.name;
    try {
      const m = measure(command, join(LOGS, `${name}-${phase}`));
      target.adapter.checkOutput(phase === 'init' ? 'init' : phase === 'restore' ? 'restore' : 'snapshot', m.stdout);
      const result: PhaseResult = { wallS: m.wallS, peakRssKb: m.peakRssKb, cpuS: m.cpuS, bytes };
      if (phase.startsWith('snapshot')) result.repoBytes = treeStats(target.repo).bytes;
      (this.attempts[phase] ??= []).push(result);
      this.recount(phase);
      const repo = result.repoBytes === undefined ? '' : `, repo ${(result.repoBytes / MiB).toFixed(1)} MiB`;
      const speed = bytes > 0 ? `, ${(bytes / MiB / Math.max(m.wallS, 0.01)).toFixed(1)} MiB/s` : '';
      progress(`${name} ${phase}: ${m.wallS.toFixed(2)} s${speed}, peak RSS ${(m.peakRssKb / 1024).toFixed(0)} MiB${repo}`);
      return result;
    } catch (err) {
      this.result.error = `${phase}: ${err instanceof Error ? err.message : String(err)}`;
      progress(`${name} FAILED in ${this.result.error}`);
      return undefined;
    }
  }
}

/** Rounds of the unchanged snapshot and of the restore. */
const ROUNDS = 3;

function main(): void {
  const opts = options();
  mkdirSync(WORK, { recursive: true });
  freshDir(LOGS);
  progress(`scale ${opts.scale}, tools ${opts.tools.join(', ')}, data in ${opts.dataDir}`);
  ensureInstalled(opts.tools, progress);
  waitForFileSystemToSettle();

  const spec = datasetSpec(opts.scale);
  const t0 = performance.now();
  const data = ensureDataset(opts.dataDir, spec, progress);
  const generationS = (performance.now() - t0) / 1000;
  progress(`data set ${data.reused ? 'reused' : 'generated'}: ${data.files} files, ${(data.bytes / MiB).toFixed(1)} MiB`);

  // Warm the page cache (a reused data set may have been evicted since): every tool then reads the
  // data set from memory, not only the ones after the first.
  let source: Listing | undefined = listTree(opts.dataDir);
  progress('data set read once (page cache warm)');

  const runs = opts.tools.map((name) => new ToolRun(name));
  for (const run of runs) {
    run.phase('init', run.adapter.init(), 0);
    run.phase('snapshot1', run.adapter.snapshot(1, opts.dataDir), data.bytes);
    run.phase('snapshot2', run.adapter.snapshot(2, opts.dataDir), data.bytes);
  }
  // The unchanged snapshot takes about a second: more rounds, in rotating order, the fastest counting.
  for (const order of roundOrders(runs, ROUNDS).slice(1)) {
    for (const run of order) run.phase('snapshot2', run.adapter.snapshot(2, opts.dataDir), data.bytes);
  }
  // The first snapshot, too, in rounds of rotating order, each into a new repository: the first tool
  // to write would otherwise always meet memory as the run's start left it.
  const roundRepos: string[] = [];
  for (const [round, order] of roundOrders(runs, ROUNDS).slice(1).entries()) {
    for (const run of order) {
      const repo = run.firstSnapshotRound(round + 2, opts.dataDir, data.bytes);
      if (repo) roundRepos.push(repo);
    }
  }

  progress('applying the change');
  const change = applyChange(opts.dataDir, spec);
  progress(`changed data set: ${change.files} files, ${(change.bytes / MiB).toFixed(1)} MiB`);
  for (const run of runs) {
    const before = run.last('snapshot2')?.repoBytes;
    const result = run.phase('snapshot3', run.adapter.snapshot(3, opts.dataDir), change.bytes);
    if (result && before !== undefined) result.newBytes = (result.repoBytes ?? 0) - before;
  }

  source = undefined; // the change made the first listing stale
  // Restored trees are deleted only after every tool has restored: deleting 17 000 files just before
  // the next tool's restore would slow its file creation (ext4 avoids reusing recently freed inodes).
  const restored: string[] = [];
  for (const [round, order] of roundOrders(runs, ROUNDS).entries()) {
    for (const run of order) {
      if (!run.ok) continue;
      source ??= listTree(opts.dataDir);
      const target = freshDir(join(WORK, 'restore', `${run.result.name}-${round + 1}`));
      const result = run.phase('restore', run.adapter.restore(target), change.bytes);
      if (!result) continue;
      const problems = compareTrees(source, target);
      result.verified = problems.length === 0;
      if (problems.length > 0) Object.assign(result, { differences: problems.length, problems: problems.slice(0, 20) });
      progress(`${run.result.name} restore ${result.verified ? 'verified' : `DIFFERS from the source (${problems.length} differences, e.g. ${problems[0]})`}`);
      restored.push(target);
      evictFromPageCache(target);
      run.recount('restore');
    }
  }
  for (const dir of [...restored, ...roundRepos]) rmSync(dir, { recursive: true, force: true });
  writeFileSync(CLEANED_AT, `${Date.now()}\n`);

  const tools = runs.map((r) => r.result);
  const results: Results = {
    command: opts.command,
    date: new Date().toISOString(),
    machine: machine(),
    dataset: { dir: opts.dataDir, spec, reused: data.reused, generationS, files: data.files, bytes: data.bytes, change },
    tools,
    targets: computeTargets(tools),
  };
  writeFileSync(join(WORK, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const reportPath = opts.scale === 1 ? join(import.meta.dirname, '..', 'docs', 'BENCHMARKS.md') : join(WORK, 'BENCHMARKS-smoke.md');
  // The other benchmarks (bench:db, bench:server) keep their own sections of the same file: carry them over.
  const old = existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : '';
  const kept = SECTION_NAMES.map((name) => [name, readSection(old, name)] as const);
  writeFileSync(reportPath, renderReport(results));
  for (const [name, section] of kept) if (section) writeSection(reportPath, section, name);
  progress(`wrote ${join(WORK, 'results.json')} and ${reportPath}`);
}

main();
