/**
 * `npm run bench:server`: API latency under load. A project with two environments — `production`
 * (a small tree with BENCH_SERVER_SNAPSHOTS snapshots) and `bulk` (BENCH_SERVER_MB of new,
 * incompressible files) — served by `envsnap serve` in its own process. 50 concurrent clients
 * (BENCH_SERVER_CLIENTS) list production's snapshots back to back, first with the server idle, then
 * while a snapshot of `bulk` runs on the same machine; p50/p90/p99/max latency and throughput of each
 * phase go into the bench:server section of docs/BENCHMARKS.md. Target: p99 under 100 ms during the
 * snapshot. Not a test: run on demand.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from '../random.ts';
import { sectionText, writeSection } from '../sections.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'envsnap.js');
const WORK = join(import.meta.dirname, '..', '.work', 'server');
const CLIENTS = Number(process.env.BENCH_SERVER_CLIENTS ?? 50);
const SNAPSHOTS = Number(process.env.BENCH_SERVER_SNAPSHOTS ?? 30);
const BULK_MB = Number(process.env.BENCH_SERVER_MB ?? 1024);
const IDLE_S = 10;
const env = { ...process.env, ENVSNAP_PASSWORD: 'bench password' };
const started = performance.now();

const log = (m: string) => console.log(`[bench:server ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}`);

function cli(args: string[], extraEnv: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, env: { ...env, ...extraEnv }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`envsnap ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

interface Phase {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function summarize(name: string, latencies: number[], errors: number, seconds: number): Phase {
  const s = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { name, requests: s.length, errors, seconds, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s.at(-1) ?? NaN };
}

/** CLIENTS loops of GET until `until()` says stop; each request's latency in ms. */
async function load(url: string, token: string, until: () => boolean): Promise<{ latencies: number[]; errors: number; seconds: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!until()) {
        const a = performance.now();
        try {
          const res = await fetch(`${url}/api/v1/environments/production/snapshots`, { headers: { authorization: `Bearer ${token}` } });
          const rows = (await res.json()) as unknown[];
          if (!res.ok || rows.length < SNAPSHOTS) errors++;
          else latencies.push(performance.now() - a);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { latencies, errors, seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(join(WORK, 'production', 'var'), { recursive: true });
  mkdirSync(join(WORK, 'bulk', 'var'), { recursive: true });
  writeFileSync(
    join(WORK, 'envsnap.yaml'),
    ['project: bench', 'repository: repo', 'environments:', ...['production', 'bulk'].flatMap((e) => [`  ${e}:`, '    type: integration', '    plan: starter', `    root: ${e}`, '    mounts: [var]']), ''].join('\n'),
  );
  log(`writing ${BULK_MB} MB of bulk files and a small production tree`);
  for (let i = 0; i < BULK_MB; i++) writeFileSync(join(WORK, 'bulk', 'var', `f${i}.bin`), randomBytes(7, i, 1 << 20));
  cli(['init']);
  log(`taking ${SNAPSHOTS} snapshots of production`);
  for (let i = 0; i < SNAPSHOTS; i++) {
    writeFileSync(join(WORK, 'production', 'var', `file${i}.txt`), `version ${i}\n`.repeat(100));
    cli(['-e', 'production', 'snapshot:create', '--live', '-q']);
  }
  cli(['user:add', 'bench', '--role', 'admin', '--no-password']);
  const token = (JSON.parse(cli(['--json', 'token:create', '--user', 'bench'])) as { token: string }).token;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, [CLI, 'serve', '--listen', `127.0.0.1:${port}`, '--no-scheduler'], { cwd: WORK, env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (;;) {
      const ok = await fetch(`${url}/api/v1/me`).then(() => true, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Warm-up: the server reads and caches the manifests on the first listing.
    await load(url, token, (() => { let n = 0; return () => n++ >= CLIENTS * 2; })());

    log(`idle: ${CLIENTS} clients for ${IDLE_S} s`);
    const idleEnd = performance.now() + IDLE_S * 1000;
    const idle = await load(url, token, () => performance.now() > idleEnd);

    log(`during a snapshot of ${BULK_MB} MB`);
    const post = await fetch(`${url}/api/v1/environments/bulk/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"live":true}' });
    const { activityId } = (await post.json()) as { activityId: string };
    let done = false;
    let state = 'pending';
    const watcher = (async () => {
      while (!done) {
        const a = (await (await fetch(`${url}/api/v1/activities/${activityId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { state: string };
        state = a.state;
        if (!['pending', 'in_progress'].includes(a.state)) done = true;
        else await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const busy = await load(url, token, () => done);
    await watcher;
    if (state !== 'succeeded') throw new Error(`the bulk snapshot ended ${state}`);

    const phases = [summarize('idle', idle.latencies, idle.errors, idle.seconds), summarize(`during a ${BULK_MB} MB snapshot`, busy.latencies, busy.errors, busy.seconds)];
    for (const p of phases) log(`${p.name}: ${p.requests} requests, p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, max ${p.max.toFixed(1)} ms, ${p.errors} errors`);
    const command = `${['BENCH_SERVER_CLIENTS', 'BENCH_SERVER_SNAPSHOTS', 'BENCH_SERVER_MB'].filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]} `).join('')}npm run bench:server`;
    const during = phases[1]!;
    const section = sectionText('server', [
      '## Server load benchmark',
      '',
      `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores).`,
      '',
      `${CLIENTS} concurrent clients list the ${SNAPSHOTS} snapshots of one environment (\`GET /api/v1/environments/production/snapshots\`, bearer token, each client sending its next request as soon as the last one is answered) against \`envsnap serve\` in its own process on loopback; first with the server idle for ${IDLE_S} s, then for as long as a live snapshot of another environment with ${BULK_MB} MB of new incompressible files runs in the same server.`,
      '',
      '| Phase | Requests | Errors | Requests/s | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...phases.map((p) => `| ${p.name} | ${p.requests} | ${p.errors} | ${(p.requests / p.seconds).toFixed(0)} | ${p.p50.toFixed(1)} | ${p.p90.toFixed(1)} | ${p.p99.toFixed(1)} | ${p.max.toFixed(1)} |`),
      '',
      `Target: p99 under 100 ms during the snapshot — ${during.p99 < 100 ? 'PASS' : 'FAIL'} (${during.p99.toFixed(1)} ms).`,
      '',
    ]);
    writeSection(join(ROOT, 'docs', 'BENCHMARKS.md'), section, 'server');
    log('wrote the bench:server section of docs/BENCHMARKS.md');
  } finally {
    server.kill('SIGTERM');
  }
}

await main();
