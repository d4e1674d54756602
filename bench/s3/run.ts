/**
 * `npm run bench:s3`: snapshot and restore of the benchmark data set against a loopback S3 server
 * (OpenStack Swift with s3api, as in the tests), envsnap beside restic's S3 backend on the same
 * server. A counting proxy between each tool and the server counts the requests. Every restore is
 * verified file by file. Results go into the bench:s3 section of docs/BENCHMARKS.md.
 * Env: BENCH_S3_SCALE (fraction of the 2 GiB data set, default 1), BENCH_DIR (data directory).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ensureDebianPackages, s3Env, startSwift } from '../../src/testing/servers.ts';
import { datasetSpec, ensureDataset } from '../dataset.ts';
import { measure } from '../measure.ts';
import { sectionText, writeSection } from '../sections.ts';
import { ensureInstalled } from '../tools.ts';
import { compareTrees, listTree } from '../verify.ts';
import { combineRuns, evictFromPageCache, roundOrders } from '../rounds.ts';

const TOOLS = ['envsnap', 'restic'] as const;
const ROUNDS = 2;

const ROOT = join(import.meta.dirname, '..', '..');
const WORK = join(import.meta.dirname, '..', '.work', 's3');
const NODE = join(ROOT, 'node_modules/.bin/node');
const CLI = join(ROOT, 'bin/envsnap.js');
const PASSWORD = 'bench-password-not-secret';
const started = performance.now();
const log = (m: string) => console.log(`[bench:s3 ${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${m}`);

interface Counts {
  counts: Record<string, number>;
  bytesUp: number;
  bytesDown: number;
}

class Proxy {
  readonly #w: Worker;
  port = 0;
  constructor(target: { host: string; port: number }) {
    this.#w = new Worker(new URL('./counting-proxy.ts', import.meta.url), { workerData: target });
  }
  async start(): Promise<void> {
    this.port = await new Promise<number>((r) => this.#w.once('message', (m: { port: number }) => r(m.port)));
  }
  /** The counts since the last call. */
  take(): Promise<Counts> {
    return new Promise((r) => {
      this.#w.once('message', (m: Counts) => r(m));
      this.#w.postMessage({ reset: true });
    });
  }
  stop(): void {
    this.#w.postMessage({ stop: true });
  }
}

interface PhaseResult {
  wallS: number;
  /** The wall times of every run (the fastest counts). */
  runs?: number[];
  cpuS: number;
  peakRssMiB: number;
  requests: number;
  byMethod: Record<string, number>;
  mbPerS: number;
}

/** A throw-away certificate for 127.0.0.1 (openssl, from Debian's package when missing). */
function selfSignedCertificate(): { cert: string; key: string; certFile: string } {
  ensureDebianPackages([{ binary: 'openssl', pkg: 'openssl' }]);
  const certFile = join(WORK, 'proxy-cert.pem');
  const keyFile = join(WORK, 'proxy-key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile };
}

async function main(): Promise<void> {
  const scale = Number(process.env.BENCH_S3_SCALE ?? '1');
  const dataDir = resolve(process.env.BENCH_DIR ?? join(import.meta.dirname, '..', '.work', 'data'));
  ensureInstalled(['restic'], log);
  const spec = datasetSpec(scale);
  const data = ensureDataset(dataDir, spec, log);
  const expected = listTree(dataDir);
  log(`data set: ${data.files} files, ${(data.bytes / 2 ** 20).toFixed(0)} MiB${data.reused ? ' (reused)' : ''}`);
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });

  log('starting Swift');
  const swift = await startSwift();
  const endpoint = new URL(swift.info.endpoint);
  const tls = selfSignedCertificate();
  const proxy = new Proxy({ host: endpoint.hostname, port: Number(endpoint.port), ...tls });
  await proxy.start();
  const proxied = `https://127.0.0.1:${proxy.port}`;
  const aws = { ...s3Env(swift.info), AWS_ENDPOINT_URL_S3: proxied, NODE_EXTRA_CA_CERTS: tls.certFile };

  // Each snapshot round writes to new buckets; the restores read the last round's.
  const toolsFor = (round: number) => ({
    envsnap: {
      env: { ...aws, ENVSNAP_REPO: `s3://bench-envsnap-${round}/repo`, ENVSNAP_PASSWORD: PASSWORD, XDG_CACHE_HOME: join(WORK, `envsnap-cache-${round}`) },
      init: [NODE, CLI, 'init'],
      snapshot: [NODE, CLI, 'snapshot:create', '.', '--json'],
      restore: (t: string) => [NODE, CLI, 'snapshot:restore', 'latest', '--target', t, '--json'],
    },
    restic: {
      env: { AWS_ACCESS_KEY_ID: swift.info.accessKeyId, AWS_SECRET_ACCESS_KEY: swift.info.secretAccessKey, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(WORK, `restic-cache-${round}`) },
      init: [...resticArgs(round), 'init', '--repository-version', '2'],
      snapshot: [...resticArgs(round), 'backup', '.'],
      restore: (t: string) => [...resticArgs(round), 'restore', 'latest', '--target', t],
    },
  });
  function resticArgs(round: number): string[] {
    return ['restic', '-r', `s3:${proxied}/bench-restic-${round}`, '--cacert', tls.certFile, '-o', 's3.bucket-lookup=path'];
  }
  type Tool = ReturnType<typeof toolsFor>[keyof ReturnType<typeof toolsFor>];
  let tools = toolsFor(1);
  const results: Record<string, { snapshot: PhaseResult; restore: PhaseResult }> = {};
  const restores: Record<string, PhaseResult[]> = { envsnap: [], restic: [] };
  const restored: string[] = [];
  try {
    const run = async (name: string, tool: Tool, phase: string, argv: string[], cwd: string): Promise<PhaseResult> => {
      await proxy.take();
      const m = measure({ cmd: argv[0]!, args: argv.slice(1), cwd, env: tool.env }, join(WORK, `${name}-${phase}`));
      const c = await proxy.take();
      const requests = Object.values(c.counts).reduce((a, b) => a + b, 0);
      log(`${name} ${phase}: ${m.wallS.toFixed(1)} s, ${requests} requests ${JSON.stringify(c.counts)}`);
      return { wallS: m.wallS, cpuS: m.cpuS, peakRssMiB: m.peakRssKb / 1024, requests, byMethod: c.counts, mbPerS: data.bytes / 1e6 / m.wallS };
    };
    // Snapshots in rounds too (each into new buckets), in alternating order; the faster counts.
    const snapshots: Record<string, PhaseResult[]> = { envsnap: [], restic: [] };
    for (const [round, order] of roundOrders(TOOLS, ROUNDS).entries()) {
      tools = toolsFor(round + 1);
      for (const name of order) {
        log(`${name}: init`);
        await run(name, tools[name], `init-${round + 1}`, tools[name].init, WORK);
        snapshots[name]!.push(await run(name, tools[name], `snapshot-${round + 1}`, tools[name].snapshot, dataDir));
      }
    }
    // As in the main benchmark: restores in rounds of alternating order, each tree evicted from the
    // page cache once verified and deleted at the end, the fastest run counting.
    for (const [round, order] of roundOrders(TOOLS, ROUNDS).entries()) {
      for (const name of order) {
        const target = join(WORK, `${name}-restore-${round + 1}`);
        mkdirSync(target, { recursive: true });
        const restore = await run(name, tools[name], `restore-${round + 1}`, tools[name].restore(target), target);
        const diffs = compareTrees(expected, target);
        if (diffs.length) throw new Error(`${name}'s restore differs from the data set: ${diffs.slice(0, 5).join('; ')}`);
        restored.push(target);
        evictFromPageCache(target);
        restores[name]!.push(restore);
      }
    }
    for (const name of TOOLS) results[name] = { snapshot: combineRuns(snapshots[name]!, 'peakRssMiB'), restore: combineRuns(restores[name]!, 'peakRssMiB') };
  } finally {
    proxy.stop();
    await swift.stop();
    for (const target of restored) rmSync(target, { recursive: true, force: true });
  }

  const e = results.envsnap!;
  const r = results.restic!;
  const row = (tool: string, phase: 'snapshot' | 'restore') => {
    const p = results[tool]![phase];
    return `| ${tool} | ${phase} | ${p.wallS.toFixed(1)}${p.runs ? ` (runs ${p.runs.map((w) => w.toFixed(1)).join(', ')})` : ''} | ${p.mbPerS.toFixed(0)} | ${p.cpuS.toFixed(1)} | ${p.peakRssMiB.toFixed(0)} | ${p.requests} | ${Object.entries(p.byMethod).map(([k, v]) => `${k} ${v}`).join(', ')} |`;
  };
  const pass = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const command = `${scale !== 1 ? `BENCH_S3_SCALE=${scale} ` : ''}npm run bench:s3`;
  const section = sectionText('s3', [
    '## S3 benchmark',
    '',
    `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores). Data set: ${data.files} files, ${(data.bytes / 2 ** 20).toFixed(0)} MiB (the data set of the first section${scale !== 1 ? `, scale ${scale}` : ''}).`,
    '',
    'Both tools write to one OpenStack Swift server with its S3 API on loopback (the test setup\'s), through a counting HTTPS proxy (TLS towards the tools: over plain HTTP restic signs uploads as aws-chunked streams, which Swift refuses); the tools snapshot in two rounds (envsnap first, then restic first; each round into new buckets), then restore the last round\'s snapshot in two rounds in the same orders; each restore is verified file by file and then evicted from the page cache (`vmtouch -e`), restored trees are deleted only at the end. A tool\'s faster run of each phase counts, with the higher peak RSS of the two. envsnap: `s3://` repository, default settings. restic: `s3:` backend with path-style addressing, repository v2 (compression auto).',
    '',
    '| Tool | Phase | Wall (s) | MB/s | CPU (s) | Peak RSS (MiB) | Requests | By method |',
    '|---|---|---:|---:|---:|---:|---:|---|',
    row('envsnap', 'snapshot'),
    row('restic', 'snapshot'),
    row('envsnap', 'restore'),
    row('restic', 'restore'),
    '',
    '| Target | envsnap | restic | Result |',
    '|---|---:|---:|---|',
    `| snapshot at least as fast as restic | ${e.snapshot.wallS.toFixed(1)} s | ${r.snapshot.wallS.toFixed(1)} s | ${pass(e.snapshot.wallS <= r.snapshot.wallS)} |`,
    `| restore at least as fast as restic | ${e.restore.wallS.toFixed(1)} s | ${r.restore.wallS.toFixed(1)} s | ${pass(e.restore.wallS <= r.restore.wallS)} |`,
    `| fewer requests (snapshot + restore) | ${e.snapshot.requests + e.restore.requests} | ${r.snapshot.requests + r.restore.requests} | ${pass(e.snapshot.requests + e.restore.requests < r.snapshot.requests + r.restore.requests)} |`,
    '',
  ]);
  writeSection(join(ROOT, 'docs', 'BENCHMARKS.md'), section, 's3');
  log('wrote the bench:s3 section of docs/BENCHMARKS.md');
}

await main();
