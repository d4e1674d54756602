/**
 * The live workload, run as its own process (`node bench/db/workload.ts`, configured by the
 * BENCH_DB_WORKLOAD environment variable, see live.ts): N connections each running a Magento-like mix
 * of transactions back to back until stdin closes —
 *   65 % product page: one product with its name, price and stock (point selects over the EAV tables),
 *   20 % stock update: `qty = qty - 1` on cataloginventory_stock_item (fires the mview trigger),
 *   15 % order: sales_order + 1–4 sales_order_item rows + an inventory_reservation in one transaction.
 * It prints "ready" once connected, then at the end one JSON line: completed transactions per time
 * bucket (epoch-aligned), per kind, errors, and the stock decrements per product (so that they can be
 * undone).
 */
import { createConnection, type Connection, type ResultSetHeader } from 'mysql2/promise';
import { Rng } from '../random.ts';

export interface WorkloadConfig {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  clients: number;
  products: number;
  customers: number;
  bucketMs: number;
  /** The process stops by itself after this long. */
  maxS: number;
}

export interface WorkloadOutput {
  startMs: number;
  bucketMs: number;
  /** Completed transactions in [startMs + i·bucketMs, startMs + (i+1)·bucketMs). */
  buckets: number[];
  kinds: Record<'product' | 'stock' | 'order', number>;
  errors: number;
  errorSamples: string[];
  /** [product id, how often its qty was decremented]. */
  decrements: [number, number][];
}

const PRODUCT_SQL =
  'SELECT e.entity_id, e.sku, v.value AS name, d.value AS price, s.qty FROM catalog_product_entity e ' +
  'JOIN catalog_product_entity_varchar v ON v.entity_id = e.entity_id AND v.attribute_id = 73 AND v.store_id = 0 ' +
  'JOIN catalog_product_entity_decimal d ON d.entity_id = e.entity_id AND d.attribute_id = 77 AND d.store_id = 0 ' +
  'JOIN cataloginventory_stock_item s ON s.product_id = e.entity_id AND s.stock_id = 1 WHERE e.entity_id = ?';
const STOCK_SQL = 'UPDATE cataloginventory_stock_item SET qty = qty - 1 WHERE product_id = ? AND stock_id = 1';
const ORDER_SQL =
  'INSERT INTO sales_order (state, status, store_id, customer_id, base_grand_total, grand_total, subtotal, total_qty_ordered, increment_id, order_currency_code, customer_email, customer_firstname, customer_lastname, shipping_method, store_name, total_item_count) ' +
  "VALUES ('new', 'pending', 1, ?, ?, ?, ?, ?, ?, 'EUR', ?, 'Live', 'Workload', 'flatrate_flatrate', 'Main Website', ?)";
const ITEM_SQL = 'INSERT INTO sales_order_item (order_id, store_id, product_id, sku, name, qty_ordered, price, base_price, row_total, base_row_total, product_type) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, \'simple\')';
const RESERVATION_SQL = "INSERT INTO inventory_reservation (stock_id, sku, quantity, metadata) VALUES (1, ?, ?, '{\"event_type\":\"order_placed\"}')";

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.BENCH_DB_WORKLOAD ?? '') as WorkloadConfig;
  const out: WorkloadOutput = { startMs: Date.now(), bucketMs: cfg.bucketMs, buckets: [], kinds: { product: 0, stock: 0, order: 0 }, errors: 0, errorSamples: [], decrements: [] };
  const decrements = new Map<number, number>();
  let stopping = false;
  const stop = () => (stopping = true);
  process.stdin.on('end', stop).on('close', stop).resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setTimeout(stop, cfg.maxS * 1000).unref();

  const connections: Connection[] = await Promise.all(
    Array.from({ length: cfg.clients }, () => createConnection({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password, database: cfg.database, supportBigNumbers: true, bigNumberStrings: true })),
  );
  for (const c of connections) await c.query("SET SESSION time_zone = '+00:00'");

  const count = (kind: keyof WorkloadOutput['kinds']) => {
    const i = Math.floor((Date.now() - out.startMs) / cfg.bucketMs);
    while (out.buckets.length <= i) out.buckets.push(0);
    out.buckets[i]++;
    out.kinds[kind]++;
  };

  const client = async (conn: Connection, index: number) => {
    const rng = new Rng(0xc0ffee + index);
    let orders = 0;
    while (!stopping) {
      const r = rng.float();
      const product = rng.int(1, cfg.products);
      try {
        if (r < 0.65) {
          await conn.execute(PRODUCT_SQL, [product]);
          count('product');
        } else if (r < 0.85) {
          await conn.execute(STOCK_SQL, [product]);
          decrements.set(product, (decrements.get(product) ?? 0) + 1);
          count('stock');
        } else {
          const items = Array.from({ length: rng.int(1, 4) }, () => ({ product: rng.int(1, cfg.products), qty: rng.int(1, 3), price: rng.int(500, 30_000) / 100 }));
          const total = items.reduce((s, i) => s + i.qty * i.price, 0).toFixed(4);
          await conn.beginTransaction();
          try {
            const [res] = await conn.execute<ResultSetHeader>(ORDER_SQL, [rng.int(1, cfg.customers), total, total, total, items.reduce((s, i) => s + i.qty, 0), `W${process.pid}-${index}-${++orders}`, `live${index}@example.com`, items.length]);
            for (const i of items) {
              const sku = `SKU-${i.product}`;
              await conn.execute(ITEM_SQL, [res.insertId, i.product, sku, `Product ${i.product}`, i.qty, i.price, i.price, (i.qty * i.price).toFixed(4), (i.qty * i.price).toFixed(4)]);
              await conn.execute(RESERVATION_SQL, [sku, -i.qty]);
            }
            await conn.commit();
          } catch (err) {
            await conn.rollback().catch(() => {});
            throw err;
          }
          count('order');
        }
      } catch (err) {
        out.errors++;
        if (out.errorSamples.length < 5) out.errorSamples.push(String((err as Error).message));
        if (out.errors > 10_000) stopping = true;
      }
    }
  };

  process.stdout.write('ready\n');
  await Promise.all(connections.map((c, i) => client(c, i)));
  await Promise.all(connections.map((c) => c.end().catch(() => c.destroy())));
  out.decrements = [...decrements];
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err) => {
  process.stderr.write(`workload failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
