/**
 * The generated Magento-shaped database: table definitions as data (columns, primary key, the indexes and
 * foreign keys added after the load, and a row generator), the row counts for a scale, and the DDL for
 * tables, Magento mview-style triggers (`trg_*` writing into `*_cl` changelog tables) and a view.
 * At scale 1 the InnoDB data + index size is about 2 GB.
 */
import type { Counts, ForeignKey, TableDef } from './table-def.ts';
import { catalogTables } from './tables-catalog.ts';
import { salesTables } from './tables-sales.ts';
import { shopTables } from './tables-shop.ts';

/** Bump when the generated data changes: a cached database of another version is regenerated. */
export const GENERATOR_VERSION = 2;

export function countsFor(scale: number): Counts {
  const n = (atScale1: number, min: number) => Math.max(min, Math.round(atScale1 * scale));
  return {
    scale,
    products: n(127_000, 200),
    categories: n(3_200, 20),
    customers: n(95_000, 100),
    orders: n(143_000, 100),
    quotes: n(95_000, 100),
    cmsPages: n(1_150, 10),
    cmsBlocks: n(2_300, 10),
    events: n(1_170_000, 100),
    apiLogs: n(20_000, 20),
    sessions: n(32_000, 20),
    searchTerms: n(16_000, 20),
  };
}

export function allTables(): TableDef[] {
  return [...shopTables(), ...catalogTables(), ...salesTables()];
}

export function columnNames(t: TableDef): string[] {
  return t.columns.map((c) => c.split(' ')[0]);
}

const q = (name: string) => `\`${name}\``;
const list = (csv: string) => csv.split(',').map((c) => q(c.trim())).join(',');

export function createTableSql(t: TableDef): string {
  const lines = t.columns.map((c) => {
    const space = c.indexOf(' ');
    return `  ${q(c.slice(0, space))}${c.slice(space)}`;
  });
  if (t.primaryKey) lines.push(`  PRIMARY KEY (${list(t.primaryKey)})`);
  return `CREATE TABLE ${q(t.name)} (\n${lines.join(',\n')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`;
}

function fkName(t: TableDef, fk: ForeignKey): string {
  return `FK_${t.name}_${fk.column}_${fk.table}`.toUpperCase().slice(0, 64);
}

/** The ALTER TABLE adding secondary indexes and foreign keys after the load, or undefined. */
export function addIndexesSql(t: TableDef): string | undefined {
  const parts = [
    ...(t.indexes ?? []).map((i) => `ADD ${i}`),
    ...(t.foreignKeys ?? []).map((fk) => `ADD CONSTRAINT ${q(fkName(t, fk))} FOREIGN KEY (${q(fk.column)}) REFERENCES ${q(fk.table)} (${q(fk.refColumn)}) ON DELETE ${fk.onDelete}`),
  ];
  return parts.length === 0 ? undefined : `ALTER TABLE ${q(t.name)} ${parts.join(', ')}`;
}

/** Magento mview subscriptions: the indexers' changelog triggers. */
const SUBSCRIPTIONS: { table: string; cl: string; column: string; events: ('INSERT' | 'UPDATE' | 'DELETE')[] }[] = [
  { table: 'cataloginventory_stock_item', cl: 'cataloginventory_stock_cl', column: 'product_id', events: ['INSERT', 'UPDATE', 'DELETE'] },
  { table: 'catalog_product_entity_int', cl: 'catalog_product_attribute_cl', column: 'entity_id', events: ['INSERT', 'UPDATE', 'DELETE'] },
  { table: 'catalog_product_entity_decimal', cl: 'catalog_product_price_cl', column: 'entity_id', events: ['INSERT', 'UPDATE', 'DELETE'] },
  { table: 'catalog_category_product', cl: 'catalog_category_product_cl', column: 'product_id', events: ['INSERT', 'DELETE'] },
];

export function triggerSqls(): string[] {
  return SUBSCRIPTIONS.flatMap((s) =>
    s.events.map((ev) => {
      const row = ev === 'DELETE' ? 'OLD' : 'NEW';
      return (
        `CREATE TRIGGER ${q(`trg_${s.table}_after_${ev.toLowerCase()}`)} AFTER ${ev} ON ${q(s.table)} FOR EACH ROW\n` +
        `BEGIN\nINSERT IGNORE INTO ${q(s.cl)} (${q('entity_id')}) VALUES (${row}.${q(s.column)});\nEND`
      );
    }),
  );
}

/** Magento MSI's legacy stock view. */
export function viewSqls(): string[] {
  return [
    'CREATE VIEW `inventory_stock_1` AS SELECT DISTINCT `legacy_stock_status`.`product_id` AS `product_id`, `legacy_stock_status`.`website_id` AS `website_id`, ' +
      '`legacy_stock_status`.`stock_id` AS `stock_id`, `legacy_stock_status`.`qty` AS `quantity`, `legacy_stock_status`.`stock_status` AS `is_salable`, `product`.`sku` AS `sku` ' +
      'FROM `cataloginventory_stock_status` `legacy_stock_status` JOIN `catalog_product_entity` `product` ON `legacy_stock_status`.`product_id` = `product`.`entity_id`',
  ];
}
