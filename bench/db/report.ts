/**
 * The database benchmark's results (as written to bench/.work/db/results.json), the targets envsnap is held
 * to, and their rendering as the `## Database benchmark` section of docs/BENCHMARKS.md — only the text
 * between the bench:db markers is replaced, the rest of the file (bench/run.ts's report) is kept.
 */
import type { ContenderName } from './contenders.ts';
import type { DatasetInfo } from './dataset.ts';

export interface StepResult {
  /** The command ran and succeeded (for a restore: whether it is also verified is `verified`). */
  ok: boolean;
  error?: string;
  wallS?: number;
  cpuS?: number;
  peakRssKb?: number;
  /** Snapshot: bytes of the dump or repository on disk. */
  outputBytes?: number;
  /** Restore: the restored database equals the source (checksums, definitions, triggers, views). */
  verified?: boolean;
  problems?: string[];
}

export interface LiveResult {
  /** What ran alongside the workload: nothing (a baseline, at the start and at the end) or a contender's snapshot. */
  name: 'baseline' | 'baseline-end' | ContenderName;
  ok: boolean;
  error?: string;
  snapshotWallS?: number;
  windowS?: number;
  txPerS?: number;
  minTxPerS1s?: number;
  /** Throughput drop against the mean of the baselines, in percent (negative: faster than the baseline). */
  dropPct?: number;
  /** Transactions fewer than the baselines' rate would have completed in the window. */
  lostTx?: number;
  workloadErrors?: number;
}

export interface ContenderResult {
  name: ContenderName;
  version: string;
  commands: { snapshot: string; restore: string };
  unavailable?: string;
  snapshot?: StepResult;
  restore?: StepResult;
}

export interface Target {
  name: string;
  goal: string;
  envsnap?: string;
  reference?: string;
  pass?: boolean;
  note?: string;
}

export interface DbResults {
  command: string;
  date: string;
  machine: { nproc: number; memoryGiB: number; cpu: string; kernel: string; loadAtStart: number; loadAtEnd: number };
  server: { version: string; settings: string[] };
  dataset: Omit<DatasetInfo, 'checksums'>;
  contenders: ContenderResult[];
  live: { clients: number; baselineS: number; results: LiveResult[] };
  targets: Target[];
  runS: number;
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => (bytes / MiB).toFixed(bytes < 10 * MiB ? 2 : 1);
const secs = (s: number | undefined) => (s === undefined ? '—' : s.toFixed(s < 10 ? 2 : 1));

function ratioTarget(name: string, goal: string, a: number | undefined, b: number | undefined, test: (ratio: number) => boolean, why: string, show: (x: number) => string = (x) => `${secs(x)} s`): Target {
  if (a === undefined || b === undefined || b === 0) return { name, goal, envsnap: a === undefined ? undefined : show(a), reference: b === undefined ? undefined : show(b), note: `not measured: ${why}` };
  return { name, goal: `${goal} (this run: ${(a / b).toFixed(2)})`, envsnap: show(a), reference: show(b), pass: test(a / b) };
}

export function computeTargets(contenders: ContenderResult[], live: LiveResult[]): Target[] {
  const by = (n: ContenderName) => contenders.find((c) => c.name === n);
  const snap = (n: ContenderName) => (by(n)?.snapshot?.ok ? by(n)!.snapshot!.wallS : undefined);
  const restore = (n: ContenderName) => (by(n)?.restore?.ok && by(n)!.restore!.verified ? by(n)!.restore!.wallS : undefined);
  const drop = (n: ContenderName) => live.find((l) => l.name === n && l.ok)?.dropPct;
  const why = (...names: ContenderName[]) => `${names.join(' or ')} has no (verified) result`;
  const envDrop = drop('envsnap');
  const dumpDrop = drop('mariadb-dump');
  return [
    ratioTarget('Snapshot time: envsnap ≤ mariadb-dump \\| zstd', 'envsnap / mariadb-dump ≤ 1', snap('envsnap'), snap('mariadb-dump'), (r) => r <= 1, why('envsnap', 'mariadb-dump')),
    ratioTarget('Restore time: envsnap ≤ 1/3 × (zstd -dc \\| mariadb)', 'envsnap / mariadb ≤ 0.33', restore('envsnap'), restore('mariadb-dump'), (r) => r <= 1 / 3, why('envsnap', 'mariadb-dump')),
    ratioTarget('Restore time: envsnap < myloader -t 2', 'envsnap / myloader < 1', restore('envsnap'), restore('mydumper'), (r) => r < 1, why('envsnap', 'mydumper')),
    envDrop === undefined || dumpDrop === undefined
      ? { name: 'Live workload drop: envsnap ≤ mariadb-dump --single-transaction', goal: 'drop(envsnap) ≤ drop(mariadb-dump)', envsnap: envDrop?.toFixed(1), reference: dumpDrop?.toFixed(1), note: `not measured: ${why('envsnap', 'mariadb-dump')}` }
      : { name: 'Live workload drop: envsnap ≤ mariadb-dump --single-transaction', goal: 'drop(envsnap) ≤ drop(mariadb-dump)', envsnap: `${envDrop.toFixed(1)} %`, reference: `${dumpDrop.toFixed(1)} %`, pass: envDrop <= dumpDrop },
  ];
}

/** A Markdown table; the first `textColumns` columns and the last one (a result) are left-aligned, the numbers between right-aligned. */
function table(header: string[], rows: string[][], textColumns = 1): string {
  const align = header.map((h, i) => (i < textColumns || (i === header.length - 1 && h === 'Result') ? '---' : '---:'));
  return [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function stepRows(r: DbResults, step: 'snapshot' | 'restore'): string[][] {
  return r.contenders.map((c) => {
    const s = c[step];
    const command = `\`${cell(c.commands[step])}\``;
    if (c.unavailable) return [c.name, command, '—', '—', '—', '—', `not run: ${cell(c.unavailable)}`];
    if (!s) return [c.name, command, '—', '—', '—', '—', 'not run (no snapshot)'];
    if (!s.ok) return [c.name, command, '—', '—', '—', '—', `FAILED (see Errors)`];
    const last = step === 'snapshot' ? mib(s.outputBytes ?? 0) : s.verified ? 'yes' : 'NO (not counted, see Errors)';
    return [c.name, command, secs(s.wallS), secs(s.cpuS), mib((s.peakRssKb ?? 0) * 1024), last, 'ok'];
  });
}

export function renderSection(r: DbResults): string {
  const d = r.dataset;
  const baseline = r.live.results.find((l) => l.name.startsWith('baseline') && l.ok);
  const errors: string[] = [];
  for (const c of r.contenders) {
    for (const step of ['snapshot', 'restore'] as const) {
      const s = c[step];
      if (s?.error) errors.push(`- **${c.name} ${step}**: ${cell(s.error).slice(0, 800)}`);
      if (s?.problems?.length) errors.push(`- **${c.name} restore differs from the source**: ${cell(s.problems.slice(0, 8).join('; '))}`);
    }
  }
  for (const l of r.live.results) if (l.error) errors.push(`- **live workload with ${l.name}**: ${cell(l.error).slice(0, 800)}`);
  const lines = [
    '<!-- bench:db start -->',
    '## Database benchmark',
    '',
    `Generated by \`${r.command}\` on ${r.date} (the whole run took ${(r.runS / 60).toFixed(1)} min). Do not edit by hand; rerun the command instead.`,
    '',
    '### Machine and tools',
    '',
    `- CPU: ${r.machine.cpu}, ${r.machine.nproc} cores (nproc); memory ${r.machine.memoryGiB.toFixed(1)} GiB; ${r.machine.kernel}`,
    `- 1-minute load average when the run started: ${r.machine.loadAtStart.toFixed(2)}, when it ended: ${r.machine.loadAtEnd.toFixed(2)}${Math.max(r.machine.loadAtStart, r.machine.loadAtEnd) > r.machine.nproc / 2 ? ' — other work was running on the machine, the numbers are noisier than usual' : ''}`,
    `- Server: MariaDB ${r.server.version}, the benchmark's own (src/testing/servers.ts startMariaDb, binary log on, \`innodb_flush_log_at_trx_commit=2\`) with ${r.server.settings.map((s) => `\`${s}\``).join(', ')}`,
    ...r.contenders.map((c) => `- **${c.name}**: ${c.version}`),
    '',
    '### Data set',
    '',
    `A generated Magento-shaped database (deterministic, scale ${d.scale}): ${d.tables.length} tables (EAV catalog with composite unique keys and foreign keys, customers, orders, quotes, URL rewrites, inventory, CMS pages with large texts and FULLTEXT indexes, a log table with BLOBs, sessions, a table without a primary key), ` +
      `${d.triggers} mview triggers, ${d.views} view; ${d.rows.toLocaleString('en-US')} rows; InnoDB data ${mib(d.dataBytes)} MiB + indexes ${mib(d.indexBytes)} MiB = **${mib(d.dataBytes + d.indexBytes)} MiB** (information_schema).`,
    d.reused ? `The database generated by an earlier run (in ${d.generationS.toFixed(0)} s) was reused: its checksums still matched.` : `Generating and loading it took ${d.generationS.toFixed(1)} s.`,
    '',
    table(['Largest tables', 'Rows', 'Data MiB', 'Index MiB'], d.tables.slice(0, 10).map((t) => [t.name, t.rows.toLocaleString('en-US'), mib(t.dataBytes), mib(t.indexBytes)])),
    '',
    '### Method',
    '',
    '- One server for all contenders. Before each measured command: the source database is read through every clustered index (the same buffer-pool state for everyone), dirty pages are flushed, binary logs purged, and `sync` runs.',
    '- Each command runs under GNU time (wall seconds, user + system CPU, peak RSS of the largest process of the pipeline; the server\'s own work is not in CPU or RSS).',
    '- Snapshot = the source database into the tool\'s output (dump file, dump directory, repository). Restore = that snapshot into a new empty database on the same server.',
    '- A restore counts only when verified: every table\'s `CHECKSUM TABLE … EXTENDED` and `SHOW CREATE TABLE` (without AUTO_INCREMENT) equal the source\'s, and the triggers and views are there.',
    `- Live workload: ${r.live.clients} connections of a Node/mysql2 driver running back to back a Magento-like mix (65 % product page = point selects over the EAV tables, 20 % stock decrement firing the mview trigger, 15 % order = sales_order + items + reservation in one transaction).`,
    `  Baselines: ${r.live.baselineS} s with nothing else running, before and after the contenders. In between, the same workload while each tool takes a snapshot (into a fresh output); throughput = transactions completed while the snapshot command ran / its duration;`,
    '  drop = 1 − throughput / mean of the baselines; fewer transactions = (mean baseline rate − throughput) × duration. The workload\'s writes are undone afterwards.',
    '',
    '### Snapshot',
    '',
    table(['Tool', 'Command', 'Wall s', 'CPU s', 'Peak RSS MiB', 'Output MiB', 'Result'], stepRows(r, 'snapshot'), 2),
    '',
    '### Restore into an empty database',
    '',
    table(['Tool', 'Command', 'Wall s', 'CPU s', 'Peak RSS MiB', 'Verified', 'Result'], stepRows(r, 'restore'), 2),
    '',
    '### Live workload during a snapshot',
    '',
    table(
      ['Running alongside', 'Snapshot wall s', 'Window s', 'Transactions/s', 'Drop', 'Transactions fewer', 'Lowest 1-s rate', 'Result'],
      r.live.results.map((l) => {
        const base = l.name.startsWith('baseline');
        if (!l.ok) return [l.name, '—', '—', '—', '—', '—', '—', 'FAILED (see Errors)'];
        return [l.name, base ? '—' : secs(l.snapshotWallS), secs(l.windowS), (l.txPerS ?? 0).toFixed(0), base || l.dropPct === undefined ? '—' : `${l.dropPct.toFixed(1)} %`,
          base || l.lostTx === undefined ? '—' : l.lostTx.toFixed(0), (l.minTxPerS1s ?? 0).toFixed(0), l.workloadErrors ? `${l.workloadErrors} workload errors` : 'ok'];
      }),
    ),
    baseline?.ok ? '' : '\nWithout a baseline no drop can be computed.',
    '',
    '### Targets',
    '',
    table(
      ['Target', 'envsnap', 'Reference', 'Goal', 'Result'],
      r.targets.map((t) => [t.name, t.envsnap ?? '—', t.reference ?? '—', t.goal, t.pass === undefined ? `n/a (${t.note})` : t.pass ? 'PASS' : 'FAIL']),
      1,
    ),
    '',
  ];
  if (errors.length > 0) lines.push('### Errors', '', ...errors, '');
  lines.push('<!-- bench:db end -->');
  return lines.join('\n');
}
