/**
 * Running the live workload (workload.ts) as a child process around a measured command, and reading its
 * throughput over a time window: transactions/s over the window, and the lowest 1-second rate inside it
 * (a stall, e.g. a global read lock, shows there). Also undoes the workload's writes afterwards, so the
 * kept database keeps its checksums.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { MariaDbInfo } from '../../src/testing/servers.ts';
import { rows, withConnection } from './sql.ts';
import type { WorkloadConfig, WorkloadOutput } from './workload.ts';

const WORKLOAD = join(import.meta.dirname, 'workload.ts');

export interface Throughput {
  windowS: number;
  txPerS: number;
  /** Lowest rate over any whole second inside the window. */
  minTxPerS1s: number;
}

export class WorkloadSession {
  private output = '';
  private readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.output += d));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts the workload and resolves once its connections are open. */
  static async start(node: string, config: WorkloadConfig, logPath: string): Promise<WorkloadSession> {
    const log = openSync(logPath, 'a');
    const child = spawn(node, [WORKLOAD], { stdio: ['pipe', 'pipe', log], env: { ...process.env, BENCH_DB_WORKLOAD: JSON.stringify(config) } });
    closeSync(log);
    const session = new WorkloadSession(child);
    const deadline = Date.now() + 60_000;
    while (!session.output.includes('ready\n')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the workload did not start (see ${logPath})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return session;
  }

  /** Stops the workload (closes its stdin) and returns what it measured. */
  async stop(): Promise<WorkloadOutput> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    const code = await this.exited;
    clearTimeout(timer);
    const line = this.output.split('\n').find((l) => l.startsWith('{'));
    if (code !== 0 || !line) throw new Error(`the workload ended with status ${code} and no result`);
    return JSON.parse(line) as WorkloadOutput;
  }
}

/** Transactions completed between the epoch times `fromMs` and `toMs` (partial buckets pro rata). */
function completed(w: WorkloadOutput, fromMs: number, toMs: number): number {
  let total = 0;
  w.buckets.forEach((n, i) => {
    const a = w.startMs + i * w.bucketMs;
    const overlap = Math.min(toMs, a + w.bucketMs) - Math.max(fromMs, a);
    if (overlap > 0) total += (n * overlap) / w.bucketMs;
  });
  return total;
}

export function throughput(w: WorkloadOutput, fromMs: number, toMs: number): Throughput {
  const windowS = (toMs - fromMs) / 1000;
  let min = Infinity;
  for (let t = fromMs; t + 1000 <= toMs; t += w.bucketMs) min = Math.min(min, completed(w, t, t + 1000));
  const txPerS = completed(w, fromMs, toMs) / Math.max(windowS, 0.001);
  return { windowS, txPerS, minTxPerS1s: Number.isFinite(min) ? min : txPerS };
}

/** The highest ids of the tables the workload inserts into, before it runs. */
export interface Watermarks {
  salesOrder: number;
  salesOrderItem: number;
  reservation: number;
  stockCl: number;
}

export async function watermarks(server: MariaDbInfo, db: string): Promise<Watermarks> {
  return withConnection(server, db, async (conn) => {
    const max = async (table: string, column: string) => Number((await rows<{ m: string | null }>(conn, `SELECT MAX(${column}) AS m FROM ${table}`))[0].m ?? 0);
    return {
      salesOrder: await max('sales_order', 'entity_id'),
      salesOrderItem: await max('sales_order_item', 'item_id'),
      reservation: await max('inventory_reservation', 'reservation_id'),
      stockCl: await max('cataloginventory_stock_cl', 'version_id'),
    };
  });
}

/** Undoes the workload: its rows deleted, the stock decrements added back, the changelog rows they caused deleted. */
export async function undoWorkload(server: MariaDbInfo, db: string, before: Watermarks, decrements: Map<number, number>): Promise<void> {
  await withConnection(server, db, async (conn) => {
    await conn.query('DELETE FROM sales_order_item WHERE item_id > ?', [before.salesOrderItem]);
    await conn.query('DELETE FROM sales_order WHERE entity_id > ?', [before.salesOrder]);
    await conn.query('DELETE FROM inventory_reservation WHERE reservation_id > ?', [before.reservation]);
    const entries = [...decrements];
    for (let i = 0; i < entries.length; i += 500) {
      const batch = entries.slice(i, i + 500);
      const cases = batch.map(([p, n]) => `WHEN ${p} THEN ${n}`).join(' ');
      await conn.query(`UPDATE cataloginventory_stock_item SET qty = qty + CASE product_id ${cases} END WHERE stock_id = 1 AND product_id IN (${batch.map(([p]) => p).join(',')})`);
    }
    await conn.query('DELETE FROM cataloginventory_stock_cl WHERE version_id > ?', [before.stockCl]);
    const counters: [string, number][] = [['sales_order', before.salesOrder], ['sales_order_item', before.salesOrderItem], ['inventory_reservation', before.reservation], ['cataloginventory_stock_cl', before.stockCl]];
    for (const [table, max] of counters) await conn.query(`ALTER TABLE ${table} AUTO_INCREMENT = ${max + 1}`);
  });
}
