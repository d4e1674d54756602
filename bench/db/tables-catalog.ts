/**
 * Generated catalog tables: products and categories with their EAV value tables (composite unique keys,
 * foreign keys to the entity, the attribute and the store), category assignments, URL rewrites, the
 * legacy and MSI inventory tables, and the mview changelog (`*_cl`) tables the triggers write into.
 */
import { fixedRows, fk, type Counts, type TableDef } from './table-def.ts';
import { between, datetime, datetimeAt, html, money, pick, priceCents, productName, productSku, sentences, urlKey, type Value } from './values.ts';

/** (attribute_id, store_id) pairs each entity has a value for, per value table. */
type Slot = [attribute: number, store: number];

function eavTable(name: string, entity: 'catalog_product_entity' | 'catalog_category_entity', valueType: string, slots: Slot[], value: (id: number, attribute: number, store: number) => Value): TableDef {
  const entities = (c: Counts) => (entity === 'catalog_product_entity' ? c.products : c.categories);
  const short = name.replace('catalog_', 'CAT_').replace('product_', 'PRD_').replace('category_', 'CTGR_').replace('entity_', 'ENTT_').toUpperCase();
  return {
    name,
    columns: ['value_id int NOT NULL AUTO_INCREMENT', 'attribute_id smallint unsigned NOT NULL DEFAULT 0', 'store_id smallint unsigned NOT NULL DEFAULT 0', 'entity_id int unsigned NOT NULL DEFAULT 0', `value ${valueType}`],
    primaryKey: 'value_id',
    indexes: [`UNIQUE KEY ${short}_ENTITY_ID_ATTRIBUTE_ID_STORE_ID (entity_id,attribute_id,store_id)`, `KEY ${short}_ATTRIBUTE_ID (attribute_id)`, `KEY ${short}_STORE_ID (store_id)`],
    foreignKeys: [fk('attribute_id', 'eav_attribute', 'attribute_id'), fk('entity_id', entity, 'entity_id'), fk('store_id', 'store', 'store_id')],
    count: (c) => entities(c) * slots.length,
    *rows(c) {
      let id = 0;
      for (let e = 1; e <= entities(c); e++) for (const [attribute, store] of slots) yield [++id, attribute, store, e, value(e, attribute, store)];
    },
  };
}

function productVarchar(p: number, attribute: number, store: number): Value {
  const name = productName(p);
  const sku = productSku(p);
  switch (attribute) {
    case 73: return store === 0 ? name : `${name} (DE)`;
    case 84: return `${name} | Shop`;
    case 86: return sentences(p, 86 + store, 2).slice(0, 255);
    case 121: return store === 0 ? urlKey(p) : `${urlKey(p)}-de`;
    default: return `/${sku[0].toLowerCase()}/${sku[1].toLowerCase()}/${sku.toLowerCase()}${attribute === 87 ? '' : `_${attribute}`}.jpg`;
  }
}

function productInt(p: number, attribute: number, store: number): Value {
  switch (attribute) {
    case 97: return p % 20 === 0 ? 2 : 1;
    case 99: return store === 0 ? (p % 5 === 0 ? 1 : 4) : 4;
    case 132: return 2;
    case 93: return 49 + between(p, 93 + store, 0, 9);
    default: return between(p, attribute, 0, 300);
  }
}

function productDecimal(p: number, attribute: number): Value {
  const price = priceCents(p);
  return money(attribute === 77 ? price : attribute === 78 ? Math.round(price * 0.8) : attribute === 81 ? Math.round(price * 0.45) : between(p, 82, 10, 5000));
}

/** Category parent ids: 1 is the root, 2 the default category, the rest a tree below it. */
function parentOf(c: number): number {
  return c === 1 ? 0 : c === 2 ? 1 : c <= 11 ? 2 : 3 + Math.floor((c - 12) / 8);
}

function categoryPaths(count: number): string[] {
  const paths = ['', '1'];
  for (let c = 2; c <= count; c++) paths[c] = `${paths[parentOf(c)]}/${c}`;
  return paths;
}

/** The three categories a product is in. */
function categoriesOf(p: number, c: Counts): number[] {
  const n = c.categories - 2;
  const base = between(p, 20, 0, n - 1);
  const step = Math.max(1, Math.floor(n / 3));
  return [0, 1, 2].map((k) => 3 + ((base + k * step) % n));
}

const changelog = (name: string, per: number): TableDef => ({
  name,
  columns: ['version_id int unsigned NOT NULL AUTO_INCREMENT', 'entity_id int unsigned NOT NULL DEFAULT 0'],
  primaryKey: 'version_id',
  count: (c) => Math.ceil(c.products / per),
  *rows(c) {
    for (let v = 1; v <= Math.ceil(c.products / per); v++) yield [v, between(v, name.length, 1, c.products)];
  },
});

export function catalogTables(): TableDef[] {
  return [
    {
      name: 'catalog_product_entity',
      columns: ['entity_id int unsigned NOT NULL AUTO_INCREMENT', 'attribute_set_id smallint unsigned NOT NULL DEFAULT 0', "type_id varchar(32) NOT NULL DEFAULT 'simple'", 'sku varchar(64) NOT NULL', 'has_options smallint NOT NULL DEFAULT 0', 'required_options smallint unsigned NOT NULL DEFAULT 0', 'created_at timestamp NOT NULL DEFAULT current_timestamp()', 'updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()'],
      primaryKey: 'entity_id',
      indexes: ['KEY CATALOG_PRODUCT_ENTITY_ATTRIBUTE_SET_ID (attribute_set_id)', 'KEY CATALOG_PRODUCT_ENTITY_SKU (sku)'],
      count: (c) => c.products,
      *rows(c) {
        for (let p = 1; p <= c.products; p++) yield [p, 4 + (p % 7), p % 10 === 0 ? 'configurable' : p % 31 === 0 ? 'bundle' : 'simple', productSku(p), p % 10 === 0 ? 1 : 0, p % 10 === 0 ? 1 : 0, datetimeAt(p, c.products, 1), datetime(p, 2)];
      },
    },
    eavTable('catalog_product_entity_varchar', 'catalog_product_entity', 'varchar(255) DEFAULT NULL', [[73, 0], [84, 0], [86, 0], [87, 0], [88, 0], [89, 0], [121, 0], [73, 2], [84, 2], [121, 2]], productVarchar),
    eavTable('catalog_product_entity_int', 'catalog_product_entity', 'int DEFAULT NULL', [[97, 0], [99, 0], [132, 0], [93, 0], [144, 0], [136, 0], [83, 0], [97, 2], [99, 2], [93, 2]], productInt),
    eavTable('catalog_product_entity_decimal', 'catalog_product_entity', 'decimal(20,6) DEFAULT NULL', [[77, 0], [78, 0], [81, 0], [82, 0]], productDecimal),
    eavTable('catalog_product_entity_text', 'catalog_product_entity', 'mediumtext DEFAULT NULL', [[75, 0], [76, 0]], (p, a) => (a === 75 ? html(p, 75, between(p, 76, 300, 2500)) : sentences(p, 77, 2))),
    eavTable('catalog_product_entity_datetime', 'catalog_product_entity', 'datetime DEFAULT NULL', [[79, 0]], (p) => datetime(p, 79)),
    {
      name: 'catalog_product_website',
      columns: ['product_id int unsigned NOT NULL', 'website_id smallint unsigned NOT NULL'],
      primaryKey: 'product_id,website_id',
      indexes: ['KEY CATALOG_PRODUCT_WEBSITE_WEBSITE_ID (website_id)'],
      foreignKeys: [fk('product_id', 'catalog_product_entity', 'entity_id'), fk('website_id', 'store_website', 'website_id')],
      count: (c) => c.products,
      *rows(c) {
        for (let p = 1; p <= c.products; p++) yield [p, 1];
      },
    },
    {
      name: 'catalog_category_entity',
      columns: ['entity_id int unsigned NOT NULL AUTO_INCREMENT', 'attribute_set_id smallint unsigned NOT NULL DEFAULT 0', 'parent_id int unsigned NOT NULL DEFAULT 0', 'created_at timestamp NOT NULL DEFAULT current_timestamp()', 'updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()', 'path varchar(255) NOT NULL', 'position int NOT NULL', 'level int NOT NULL DEFAULT 0', 'children_count int NOT NULL'],
      primaryKey: 'entity_id',
      indexes: ['KEY CATALOG_CATEGORY_ENTITY_LEVEL (level)', 'KEY CATALOG_CATEGORY_ENTITY_PATH (path)'],
      count: (c) => c.categories,
      *rows(c) {
        const paths = categoryPaths(c.categories);
        for (let k = 1; k <= c.categories; k++) yield [k, 3, parentOf(k), datetime(k, 1), datetime(k, 2), paths[k], k % 8, paths[k].split('/').length - 1, k <= 2 ? c.categories - k : 0];
      },
    },
    eavTable('catalog_category_entity_varchar', 'catalog_category_entity', 'varchar(255) DEFAULT NULL', [[45, 0], [119, 0], [120, 0]], (k, a) => (a === 45 ? `Kategorie ${k}` : a === 119 ? `category-${k}` : `cat-${parentOf(k)}/category-${k}`)),
    eavTable('catalog_category_entity_int', 'catalog_category_entity', 'int DEFAULT NULL', [[46, 0], [54, 0], [69, 0]], (k, a) => (a === 46 ? 1 : (k + a) % 2)),
    eavTable('catalog_category_entity_text', 'catalog_category_entity', 'mediumtext DEFAULT NULL', [[47, 0]], (k) => html(k, 47, between(k, 48, 200, 3000))),
    {
      name: 'catalog_category_product',
      columns: ['entity_id int NOT NULL AUTO_INCREMENT', 'category_id int unsigned NOT NULL DEFAULT 0', 'product_id int unsigned NOT NULL DEFAULT 0', 'position int NOT NULL DEFAULT 0'],
      primaryKey: 'entity_id,category_id,product_id',
      indexes: ['UNIQUE KEY CATALOG_CATEGORY_PRODUCT_CATEGORY_ID_PRODUCT_ID (category_id,product_id)', 'KEY CATALOG_CATEGORY_PRODUCT_PRODUCT_ID (product_id)'],
      foreignKeys: [fk('category_id', 'catalog_category_entity', 'entity_id'), fk('product_id', 'catalog_product_entity', 'entity_id')],
      count: (c) => c.products * 3,
      *rows(c) {
        let id = 0;
        for (let p = 1; p <= c.products; p++) for (const cat of categoriesOf(p, c)) yield [++id, cat, p, between(p, cat, 0, 100)];
      },
    },
    {
      name: 'url_rewrite',
      columns: ['url_rewrite_id int unsigned NOT NULL AUTO_INCREMENT', "entity_type varchar(32) NOT NULL", 'entity_id int unsigned NOT NULL', 'request_path varchar(255) DEFAULT NULL', 'target_path varchar(255) DEFAULT NULL', 'redirect_type smallint unsigned NOT NULL DEFAULT 0', 'store_id smallint unsigned NOT NULL', 'description varchar(255) DEFAULT NULL', 'is_autogenerated smallint unsigned NOT NULL DEFAULT 0', 'metadata varchar(255) DEFAULT NULL'],
      primaryKey: 'url_rewrite_id',
      indexes: ['UNIQUE KEY URL_REWRITE_REQUEST_PATH_STORE_ID (request_path,store_id)', 'KEY URL_REWRITE_ENTITY_ID (entity_id)', 'KEY URL_REWRITE_STORE_ID_ENTITY_ID (store_id,entity_id)'],
      foreignKeys: [fk('store_id', 'store', 'store_id')],
      count: (c) => c.products * 3 + c.categories * 2,
      *rows(c) {
        let id = 0;
        for (let k = 1; k <= c.categories; k++) for (const store of [1, 2]) yield [++id, 'category', k, `cat-${parentOf(k)}/category-${k}${store === 2 ? '-de' : ''}.html`, `catalog/category/view/id/${k}`, 0, store, null, 1, null];
        for (let p = 1; p <= c.products; p++) {
          const key = urlKey(p);
          yield [++id, 'product', p, `${key}.html`, `catalog/product/view/id/${p}`, 0, 1, null, 1, null];
          yield [++id, 'product', p, `${key}-de.html`, `catalog/product/view/id/${p}`, 0, 2, null, 1, null];
          const cat = categoriesOf(p, c)[0];
          yield [++id, 'product', p, `cat-${parentOf(cat)}/category-${cat}/${key}.html`, `catalog/product/view/id/${p}/category/${cat}`, 0, 1, null, 1, `{"category_id":"${cat}"}`];
        }
      },
    },
    changelog('catalog_product_attribute_cl', 5),
    changelog('catalog_product_price_cl', 10),
    changelog('catalog_category_product_cl', 10),
    changelog('cataloginventory_stock_cl', 5),
    {
      name: 'cataloginventory_stock',
      columns: ['stock_id smallint unsigned NOT NULL AUTO_INCREMENT', 'website_id smallint unsigned NOT NULL', 'stock_name varchar(255) DEFAULT NULL'],
      primaryKey: 'stock_id',
      indexes: ['KEY CATALOGINVENTORY_STOCK_WEBSITE_ID (website_id)'],
      ...fixedRows([[1, 0, 'Default']]),
    },
    {
      name: 'cataloginventory_stock_item',
      columns: ['item_id int unsigned NOT NULL AUTO_INCREMENT', 'product_id int unsigned NOT NULL DEFAULT 0', 'stock_id smallint unsigned NOT NULL DEFAULT 0', 'qty decimal(12,4) DEFAULT NULL', 'min_qty decimal(12,4) NOT NULL DEFAULT 0.0000', 'use_config_min_qty smallint unsigned NOT NULL DEFAULT 1',
        'is_qty_decimal smallint unsigned NOT NULL DEFAULT 0', 'backorders smallint unsigned NOT NULL DEFAULT 0', 'min_sale_qty decimal(12,4) NOT NULL DEFAULT 1.0000', 'max_sale_qty decimal(12,4) NOT NULL DEFAULT 0.0000', 'is_in_stock smallint unsigned NOT NULL DEFAULT 0',
        'low_stock_date timestamp NULL DEFAULT NULL', 'notify_stock_qty decimal(12,4) DEFAULT NULL', 'manage_stock smallint unsigned NOT NULL DEFAULT 0', 'qty_increments decimal(12,4) NOT NULL DEFAULT 0.0000', 'website_id smallint unsigned NOT NULL DEFAULT 0'],
      primaryKey: 'item_id',
      indexes: ['UNIQUE KEY CATALOGINVENTORY_STOCK_ITEM_PRODUCT_ID_STOCK_ID (product_id,stock_id)', 'KEY CATALOGINVENTORY_STOCK_ITEM_WEBSITE_ID (website_id)', 'KEY CATALOGINVENTORY_STOCK_ITEM_STOCK_ID (stock_id)'],
      foreignKeys: [fk('product_id', 'catalog_product_entity', 'entity_id'), fk('stock_id', 'cataloginventory_stock', 'stock_id')],
      count: (c) => c.products,
      *rows(c) {
        for (let p = 1; p <= c.products; p++) {
          const qty = between(p, 30, 0, 5000);
          yield [p, p, 1, `${qty}.0000`, '0.0000', 1, 0, 0, '1.0000', '10000.0000', qty > 0 ? 1 : 0, qty > 0 ? null : datetime(p, 31), '1.0000', 1, '1.0000', 0];
        }
      },
    },
    {
      name: 'cataloginventory_stock_status',
      columns: ['product_id int unsigned NOT NULL', 'website_id smallint unsigned NOT NULL', 'stock_id smallint unsigned NOT NULL', 'qty decimal(12,4) NOT NULL DEFAULT 0.0000', 'stock_status smallint unsigned NOT NULL'],
      primaryKey: 'product_id,website_id,stock_id',
      indexes: ['KEY CATALOGINVENTORY_STOCK_STATUS_STOCK_ID (stock_id)', 'KEY CATALOGINVENTORY_STOCK_STATUS_WEBSITE_ID (website_id)', 'KEY CATALOGINVENTORY_STOCK_STATUS_STOCK_STATUS (stock_status)'],
      count: (c) => c.products,
      *rows(c) {
        for (let p = 1; p <= c.products; p++) {
          const qty = between(p, 30, 0, 5000);
          yield [p, 0, 1, `${qty}.0000`, qty > 0 ? 1 : 0];
        }
      },
    },
    {
      name: 'inventory_source',
      columns: ['source_code varchar(255) NOT NULL', 'name varchar(255) NOT NULL', 'enabled smallint unsigned NOT NULL DEFAULT 1', 'description text DEFAULT NULL', 'latitude decimal(8,6) DEFAULT NULL', 'longitude decimal(9,6) DEFAULT NULL', 'country_id varchar(2) NOT NULL', 'city varchar(255) DEFAULT NULL', 'street varchar(255) DEFAULT NULL', 'postcode varchar(255) NOT NULL'],
      primaryKey: 'source_code',
      ...fixedRows([['default', 'Default Source', 1, 'Default Source', null, null, 'DE', null, null, '00000'], ['lager-leipzig', 'Lager Leipzig', 1, 'Hauptlager', '51.339695', '12.373075', 'DE', 'Leipzig', 'Am Lager 1', '04109'], ['store-wien', 'Filiale Wien', 1, null, '48.208176', '16.373819', 'AT', 'Wien', 'Mariahilfer Straße 10', '1070']]),
    },
    {
      name: 'inventory_source_item',
      columns: ['source_item_id int unsigned NOT NULL AUTO_INCREMENT', 'source_code varchar(255) NOT NULL', 'sku varchar(64) NOT NULL', 'quantity decimal(12,4) NOT NULL DEFAULT 0.0000', 'status smallint unsigned NOT NULL DEFAULT 0'],
      primaryKey: 'source_item_id',
      indexes: ['UNIQUE KEY INVENTORY_SOURCE_ITEM_SOURCE_CODE_SKU (source_code,sku)', 'KEY INVENTORY_SOURCE_ITEM_SKU_SOURCE_CODE_QUANTITY (sku,source_code,quantity)'],
      foreignKeys: [fk('source_code', 'inventory_source', 'source_code')],
      count: (c) => c.products,
      *rows(c) {
        for (let p = 1; p <= c.products; p++) {
          const qty = between(p, 30, 0, 5000);
          yield [p, p % 3 === 0 ? 'lager-leipzig' : 'default', productSku(p), `${qty}.0000`, qty > 0 ? 1 : 0];
        }
      },
    },
    {
      name: 'inventory_reservation',
      columns: ['reservation_id int unsigned NOT NULL AUTO_INCREMENT', 'stock_id int unsigned NOT NULL', 'sku varchar(64) NOT NULL', 'quantity decimal(10,4) NOT NULL DEFAULT 0.0000', 'metadata varchar(255) DEFAULT NULL'],
      primaryKey: 'reservation_id',
      indexes: ['KEY INVENTORY_RESERVATION_STOCK_ID_SKU_QUANTITY (stock_id,sku,quantity)'],
      count: (c) => c.orders,
      *rows(c) {
        for (let r = 1; r <= c.orders; r++) {
          const p = between(r, 1, 1, c.products);
          yield [r, 1, productSku(p), `-${between(r, 2, 1, 3)}.0000`, `{"event_type":"order_placed","object_type":"order","object_id":"${r}","object_increment_id":"${String(100_000_000 + r)}"}`];
        }
      },
    },
  ];
}
