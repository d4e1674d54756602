/**
 * Part planning: which SELECTs dump one table — the column list (BIT and FLOAT columns converted
 * so their values load back exactly, generated columns left out), the row order, and the key
 * ranges a big table is split into so several connections dump it at once. See format.ts for why
 * ranges are aligned to multiples of a power-of-two width.
 */
import type { MysqlConnection } from './connection.ts';
import type { ColumnDump, ColumnMeta } from './format.ts';
import { qualified, quoteIdent } from './quote.ts';
import type { TableColumns, TableInfo } from './schema-reader.ts';

export interface PartPlan {
  /** The range's index (0 for a table dumped whole). */
  index: bigint;
  /** The SELECT producing this part's rows, in order. */
  sql: string;
}

export interface TablePlan {
  table: string;
  columns: ColumnMeta[];
  primaryKey: string[];
  order: string;
  /** 0n when the table is one part. */
  width: bigint;
  parts: PartPlan[];
  /** The size estimate the plan was made from (bigger tables are dumped first). */
  dataLength: number;
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);

export function columnDump(dataType: string): ColumnDump {
  if (dataType === 'bit') return 'bit';
  if (dataType === 'float') return 'float';
  return 'raw';
}

/** The SELECT expression writing a column as format.ts describes. */
export function selectExpression(c: ColumnMeta): string {
  const q = quoteIdent(c.name);
  return c.dump === 'bit' ? `${q}+0` : c.dump === 'float' ? `${q}+0e0` : q;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function nextPowerOfTwo(n: bigint): bigint {
  let p = 1n;
  while (p < n) p <<= 1n;
  return p;
}

/**
 * Plans one table. `conn` (inside the snapshot) is asked for the minimum and maximum of the split
 * column only when the table is big enough to split.
 */
export async function planTable(conn: MysqlConnection, db: string, info: TableInfo, cols: TableColumns, partBytes: number): Promise<TablePlan> {
  const columns: ColumnMeta[] = cols.columns.filter((c) => !c.generated).map((c) => ({ name: c.name, dump: columnDump(c.dataType) }));
  const select = `SELECT ${columns.map(selectExpression).join(', ')} FROM ${qualified(db, info.name)}`;
  let orderColumns = cols.primaryKey;
  let order = 'PRIMARY';
  if (orderColumns.length === 0 && cols.uniqueNotNull.length > 0) {
    orderColumns = cols.uniqueNotNull[0].columns;
    order = cols.uniqueNotNull[0].name;
  }
  if (orderColumns.length === 0) order = 'none';
  const orderBy = orderColumns.length > 0 ? ` ORDER BY ${orderColumns.map(quoteIdent).join(', ')}` : '';
  const plan: TablePlan = { table: info.name, columns, primaryKey: cols.primaryKey, order, width: 0n, parts: [], dataLength: info.dataLength };

  const first = cols.primaryKey[0];
  const firstType = cols.columns.find((c) => c.name === first)?.dataType ?? '';
  const wanted = Math.ceil(info.dataLength / partBytes);
  if (first !== undefined && INTEGER_TYPES.has(firstType) && wanted > 1) {
    const [mm] = await conn.query<{ lo: string | number | null; hi: string | number | null }>(
      `SELECT MIN(${quoteIdent(first)}) AS lo, MAX(${quoteIdent(first)}) AS hi FROM ${qualified(db, info.name)}`,
    );
    if (mm && mm.lo !== null && mm.hi !== null) {
      const lo = BigInt(mm.lo);
      const hi = BigInt(mm.hi);
      const width = nextPowerOfTwo((hi - lo + 1n + BigInt(wanted) - 1n) / BigInt(wanted));
      const k0 = floorDiv(lo, width);
      const k1 = floorDiv(hi, width);
      if (k1 > k0) {
        plan.width = width;
        const col = quoteIdent(first);
        for (let k = k0; k <= k1; k++) {
          plan.parts.push({ index: k, sql: `${select} WHERE ${col} >= ${k * width} AND ${col} < ${(k + 1n) * width}${orderBy}` });
        }
        return plan;
      }
    }
  }
  plan.parts.push({ index: 0n, sql: select + orderBy });
  return plan;
}
