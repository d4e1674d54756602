/**
 * Test-only fixtures of the MySQL driver's tests: connections to the test MariaDB, seeded databases
 * (a Magento-shaped shop, and a table of every column type the driver must carry exactly) and the
 * fingerprint a user would compare after a restore — CHECKSUM TABLE of every table and SHOW CREATE
 * of every object, with the database's own name replaced so databases of different names compare.
 */
import { listObjects } from './schema-reader.ts';
import { MysqlConnection, type MysqlConnectionSettings } from './connection.ts';
import { qualified, quoteIdent } from './quote.ts';
import { testMariaDb, uniqueName } from '../../testing/servers.ts';

export async function settingsFor(database: string, over: Partial<MysqlConnectionSettings> = {}): Promise<MysqlConnectionSettings> {
  const info = await testMariaDb();
  return { name: 'database default', host: info.host, port: info.port, user: info.user, password: info.password, database, ...over };
}

/** A connection with every privilege, no default database, permissive sql_mode (zero dates, 0 in AUTO_INCREMENT columns). */
export async function admin(): Promise<MysqlConnection> {
  const conn = await MysqlConnection.open(await settingsFor(''));
  await conn.query("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'");
  return conn;
}

export async function run(conn: MysqlConnection, statements: string[]): Promise<void> {
  for (const s of statements) await conn.query(s);
}

export function newDatabaseName(prefix: string): string {
  return uniqueName(prefix);
}

export async function dropDatabases(conn: MysqlConnection, ...names: string[]): Promise<void> {
  await conn.query('SET SESSION foreign_key_checks = 0');
  for (const n of names) for (const suffix of ['', '__envsnap_new', '__envsnap_old']) await conn.query(`DROP DATABASE IF EXISTS ${quoteIdent(n + suffix)}`);
}

/**
 * What a user compares: per table its CHECKSUM and SHOW CREATE TABLE; per view, trigger, routine
 * and event its SHOW CREATE statement and the session it was created under. `db`'s name is
 * replaced by <db>.
 */
export async function fingerprint(conn: MysqlConnection, db: string): Promise<string> {
  const objects = await listObjects(conn, db);
  if (!objects) return `no database ${db}`;
  const lines: string[] = [`database charset ${objects.characterSet} collation ${objects.collation}`];
  for (const t of objects.tables) {
    const [sum] = await conn.query<{ Checksum: string | number | null }>(`CHECKSUM TABLE ${qualified(db, t.name)} EXTENDED`);
    const [create] = await conn.query<Record<string, string>>(`SHOW CREATE TABLE ${qualified(db, t.name)}`);
    const [count] = await conn.query<{ n: string | number }>(`SELECT COUNT(*) AS n FROM ${qualified(db, t.name)}`);
    lines.push(`table ${t.name}: ${count.n} rows, checksum ${sum.Checksum}`, create['Create Table']);
  }
  await conn.query(`USE ${quoteIdent(db)}`);
  const show = async (kind: string, name: string, column: string, extra: string[]) => {
    const [row] = await conn.query<Record<string, string>>(`SHOW CREATE ${kind} ${qualified(db, name)}`);
    lines.push(`${kind.toLowerCase()} ${name}: ${extra.map((e) => `${e}=${row[e]}`).join(' ')}`, row[column]);
  };
  for (const v of objects.views) await show('VIEW', v, 'Create View', ['character_set_client', 'collation_connection']);
  for (const t of objects.triggers) await show('TRIGGER', t.name, 'SQL Original Statement', ['sql_mode', 'character_set_client']);
  for (const p of objects.procedures) await show('PROCEDURE', p, 'Create Procedure', ['sql_mode', 'character_set_client']);
  for (const f of objects.functions) await show('FUNCTION', f, 'Create Function', ['sql_mode', 'character_set_client']);
  for (const e of objects.events) await show('EVENT', e, 'Create Event', ['sql_mode', 'time_zone', 'character_set_client']);
  await conn.query('USE mysql');
  return lines.join('\n').replaceAll(db, '<db>');
}

/** Statements creating a Magento-shaped shop in `db`: 37 tables with foreign keys, mview triggers, a view. */
export function magentoSchema(db: string): string[] {
  const d = quoteIdent(db);
  const ino = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci';
  const tables = [
    `CREATE TABLE store_website (website_id smallint unsigned NOT NULL AUTO_INCREMENT, code varchar(32) DEFAULT NULL, name varchar(64) DEFAULT NULL, sort_order smallint unsigned NOT NULL DEFAULT 0, default_group_id smallint unsigned NOT NULL DEFAULT 0, is_default smallint unsigned DEFAULT 0, PRIMARY KEY (website_id), UNIQUE KEY STORE_WEBSITE_CODE (code), KEY STORE_WEBSITE_SORT_ORDER (sort_order)) ${ino} COMMENT='Websites'`,
    `CREATE TABLE store_group (group_id smallint unsigned NOT NULL AUTO_INCREMENT, website_id smallint unsigned NOT NULL DEFAULT 0, name varchar(255) NOT NULL, root_category_id int unsigned NOT NULL DEFAULT 0, default_store_id smallint unsigned NOT NULL DEFAULT 0, code varchar(32) DEFAULT NULL, PRIMARY KEY (group_id), UNIQUE KEY STORE_GROUP_CODE (code), KEY STORE_GROUP_WEBSITE_ID (website_id), CONSTRAINT STORE_GROUP_WEBSITE_ID_STORE_WEBSITE_WEBSITE_ID FOREIGN KEY (website_id) REFERENCES store_website (website_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE store (store_id smallint unsigned NOT NULL AUTO_INCREMENT, code varchar(32) DEFAULT NULL, website_id smallint unsigned NOT NULL DEFAULT 0, group_id smallint unsigned NOT NULL DEFAULT 0, name varchar(255) NOT NULL, sort_order smallint unsigned NOT NULL DEFAULT 0, is_active smallint unsigned NOT NULL DEFAULT 0, PRIMARY KEY (store_id), UNIQUE KEY STORE_CODE (code), KEY STORE_WEBSITE_ID (website_id), KEY STORE_IS_ACTIVE_SORT_ORDER (is_active,sort_order), KEY STORE_GROUP_ID (group_id), CONSTRAINT STORE_GROUP_ID_STORE_GROUP_GROUP_ID FOREIGN KEY (group_id) REFERENCES store_group (group_id) ON DELETE CASCADE, CONSTRAINT STORE_WEBSITE_ID_STORE_WEBSITE_WEBSITE_ID FOREIGN KEY (website_id) REFERENCES store_website (website_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE eav_entity_type (entity_type_id smallint unsigned NOT NULL AUTO_INCREMENT, entity_type_code varchar(50) NOT NULL, entity_model varchar(255) NOT NULL, PRIMARY KEY (entity_type_id), KEY EAV_ENTITY_TYPE_ENTITY_TYPE_CODE (entity_type_code)) ${ino}`,
    `CREATE TABLE eav_attribute (attribute_id smallint unsigned NOT NULL AUTO_INCREMENT, entity_type_id smallint unsigned NOT NULL DEFAULT 0, attribute_code varchar(255) NOT NULL, backend_type varchar(8) NOT NULL DEFAULT 'static', frontend_label varchar(255) DEFAULT NULL, is_required smallint unsigned NOT NULL DEFAULT 0, default_value text DEFAULT NULL, PRIMARY KEY (attribute_id), UNIQUE KEY EAV_ATTRIBUTE_ENTITY_TYPE_ID_ATTRIBUTE_CODE (entity_type_id,attribute_code), CONSTRAINT EAV_ATTRIBUTE_ENTITY_TYPE_ID_EAV_ENTITY_TYPE_ENTITY_TYPE_ID FOREIGN KEY (entity_type_id) REFERENCES eav_entity_type (entity_type_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE catalog_product_entity (entity_id int unsigned NOT NULL AUTO_INCREMENT, attribute_set_id smallint unsigned NOT NULL DEFAULT 0, type_id varchar(32) NOT NULL DEFAULT 'simple', sku varchar(64) NOT NULL, has_options smallint NOT NULL DEFAULT 0, required_options smallint unsigned NOT NULL DEFAULT 0, created_at timestamp NOT NULL DEFAULT current_timestamp(), updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(), PRIMARY KEY (entity_id), KEY CATALOG_PRODUCT_ENTITY_ATTRIBUTE_SET_ID (attribute_set_id), KEY CATALOG_PRODUCT_ENTITY_SKU (sku)) ${ino}`,
    ...['int', 'varchar', 'decimal', 'text', 'datetime'].map((type) => {
      const value = { int: 'int DEFAULT NULL', varchar: 'varchar(255) DEFAULT NULL', decimal: 'decimal(20,6) DEFAULT NULL', text: 'mediumtext DEFAULT NULL', datetime: 'datetime DEFAULT NULL' }[type];
      const t = `catalog_product_entity_${type}`;
      const T = t.toUpperCase();
      const S = `CAT_PRD_ENTT_${type.toUpperCase()}`;
      return `CREATE TABLE ${t} (value_id int NOT NULL AUTO_INCREMENT, attribute_id smallint unsigned NOT NULL DEFAULT 0, store_id smallint unsigned NOT NULL DEFAULT 0, entity_id int unsigned NOT NULL DEFAULT 0, value ${value}, PRIMARY KEY (value_id), UNIQUE KEY ${T}_ENTITY_ID_ATTRIBUTE_ID_STORE_ID (entity_id,attribute_id,store_id), KEY ${T}_ATTRIBUTE_ID (attribute_id), KEY ${T}_STORE_ID (store_id), CONSTRAINT ${S}_ATTR_ID_EAV_ATTR_ATTR_ID FOREIGN KEY (attribute_id) REFERENCES eav_attribute (attribute_id) ON DELETE CASCADE, CONSTRAINT ${S}_ENTT_ID_CAT_PRD_ENTT_ENTT_ID FOREIGN KEY (entity_id) REFERENCES catalog_product_entity (entity_id) ON DELETE CASCADE, CONSTRAINT ${T}_STORE_ID_STORE_STORE_ID FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE CASCADE) ${ino}`;
    }),
    `CREATE TABLE catalog_category_entity (entity_id int unsigned NOT NULL AUTO_INCREMENT, attribute_set_id smallint unsigned NOT NULL DEFAULT 0, parent_id int unsigned NOT NULL DEFAULT 0, path varchar(255) NOT NULL, position int NOT NULL, level int NOT NULL DEFAULT 0, children_count int NOT NULL, PRIMARY KEY (entity_id), KEY CATALOG_CATEGORY_ENTITY_LEVEL (level), KEY CATALOG_CATEGORY_ENTITY_PATH (path)) ${ino}`,
    `CREATE TABLE catalog_category_entity_varchar (value_id int NOT NULL AUTO_INCREMENT, attribute_id smallint unsigned NOT NULL DEFAULT 0, store_id smallint unsigned NOT NULL DEFAULT 0, entity_id int unsigned NOT NULL DEFAULT 0, value varchar(255) DEFAULT NULL, PRIMARY KEY (value_id), UNIQUE KEY CATALOG_CATEGORY_ENTITY_VARCHAR_ENTITY_ID_ATTRIBUTE_ID_STORE_ID (entity_id,attribute_id,store_id), KEY CATALOG_CATEGORY_ENTITY_VARCHAR_STORE_ID (store_id), CONSTRAINT CAT_CTGR_ENTT_VCHR_ENTT_ID_CAT_CTGR_ENTT_ENTT_ID FOREIGN KEY (entity_id) REFERENCES catalog_category_entity (entity_id) ON DELETE CASCADE, CONSTRAINT CATALOG_CATEGORY_ENTITY_VARCHAR_STORE_ID_STORE_STORE_ID FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE catalog_category_product (entity_id int NOT NULL AUTO_INCREMENT, category_id int unsigned NOT NULL DEFAULT 0, product_id int unsigned NOT NULL DEFAULT 0, position int NOT NULL DEFAULT 0, PRIMARY KEY (entity_id,category_id,product_id), UNIQUE KEY CATALOG_CATEGORY_PRODUCT_CATEGORY_ID_PRODUCT_ID (category_id,product_id), KEY CATALOG_CATEGORY_PRODUCT_PRODUCT_ID (product_id), CONSTRAINT CAT_CTGR_PRD_CTGR_ID_CAT_CTGR_ENTT_ENTT_ID FOREIGN KEY (category_id) REFERENCES catalog_category_entity (entity_id) ON DELETE CASCADE, CONSTRAINT CAT_CTGR_PRD_PRD_ID_CAT_PRD_ENTT_ENTT_ID FOREIGN KEY (product_id) REFERENCES catalog_product_entity (entity_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE catalog_product_website (product_id int unsigned NOT NULL, website_id smallint unsigned NOT NULL, PRIMARY KEY (product_id,website_id), KEY CATALOG_PRODUCT_WEBSITE_WEBSITE_ID (website_id), CONSTRAINT CAT_PRD_WS_PRD_ID_CAT_PRD_ENTT_ENTT_ID FOREIGN KEY (product_id) REFERENCES catalog_product_entity (entity_id) ON DELETE CASCADE, CONSTRAINT CATALOG_PRODUCT_WEBSITE_WEBSITE_ID_STORE_WEBSITE_WEBSITE_ID FOREIGN KEY (website_id) REFERENCES store_website (website_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE catalog_product_entity_cl (version_id int unsigned NOT NULL AUTO_INCREMENT, entity_id int unsigned NOT NULL DEFAULT 0, PRIMARY KEY (version_id)) ${ino} COMMENT='catalog_product_entity_cl'`,
    `CREATE TABLE catalog_category_product_cl (version_id int unsigned NOT NULL AUTO_INCREMENT, entity_id int unsigned NOT NULL DEFAULT 0, PRIMARY KEY (version_id)) ${ino}`,
    `CREATE TABLE mview_state (state_id int unsigned NOT NULL AUTO_INCREMENT, view_id varchar(255) DEFAULT NULL, mode varchar(16) DEFAULT 'disabled', status varchar(16) DEFAULT 'idle', updated datetime DEFAULT NULL, version_id int unsigned DEFAULT NULL, PRIMARY KEY (state_id), KEY MVIEW_STATE_VIEW_ID (view_id), KEY MVIEW_STATE_MODE (mode)) ${ino}`,
    `CREATE TABLE customer_entity (entity_id int unsigned NOT NULL AUTO_INCREMENT, website_id smallint unsigned DEFAULT NULL, email varchar(255) DEFAULT NULL, group_id smallint unsigned NOT NULL DEFAULT 0, store_id smallint unsigned DEFAULT 0, created_at timestamp NOT NULL DEFAULT current_timestamp(), is_active smallint unsigned NOT NULL DEFAULT 1, firstname varchar(255) DEFAULT NULL, lastname varchar(255) DEFAULT NULL, dob date DEFAULT NULL, password_hash varchar(128) DEFAULT NULL, PRIMARY KEY (entity_id), UNIQUE KEY CUSTOMER_ENTITY_EMAIL_WEBSITE_ID (email,website_id), KEY CUSTOMER_ENTITY_STORE_ID (store_id), KEY CUSTOMER_ENTITY_WEBSITE_ID (website_id), CONSTRAINT CUSTOMER_ENTITY_STORE_ID_STORE_STORE_ID FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE SET NULL, CONSTRAINT CUSTOMER_ENTITY_WEBSITE_ID_STORE_WEBSITE_WEBSITE_ID FOREIGN KEY (website_id) REFERENCES store_website (website_id) ON DELETE SET NULL) ${ino}`,
    `CREATE TABLE customer_address_entity (entity_id int unsigned NOT NULL AUTO_INCREMENT, parent_id int unsigned DEFAULT NULL, city varchar(255) NOT NULL, country_id varchar(255) NOT NULL, postcode varchar(255) DEFAULT NULL, street text NOT NULL, telephone varchar(255) NOT NULL, PRIMARY KEY (entity_id), KEY CUSTOMER_ADDRESS_ENTITY_PARENT_ID (parent_id), CONSTRAINT CUSTOMER_ADDRESS_ENTITY_PARENT_ID_CUSTOMER_ENTITY_ENTITY_ID FOREIGN KEY (parent_id) REFERENCES customer_entity (entity_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE quote (entity_id int unsigned NOT NULL AUTO_INCREMENT, store_id smallint unsigned NOT NULL DEFAULT 0, created_at timestamp NOT NULL DEFAULT current_timestamp(), is_active smallint unsigned DEFAULT 1, items_count int unsigned DEFAULT 0, grand_total decimal(20,4) DEFAULT 0.0000, customer_id int unsigned DEFAULT NULL, customer_email varchar(255) DEFAULT NULL, PRIMARY KEY (entity_id), KEY QUOTE_CUSTOMER_ID_STORE_ID_IS_ACTIVE (customer_id,store_id,is_active), KEY QUOTE_STORE_ID (store_id), CONSTRAINT QUOTE_STORE_ID_STORE_STORE_ID FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE quote_item (item_id int unsigned NOT NULL AUTO_INCREMENT, quote_id int unsigned NOT NULL DEFAULT 0, product_id int unsigned DEFAULT NULL, sku varchar(255) DEFAULT NULL, name varchar(255) DEFAULT NULL, qty decimal(12,4) NOT NULL DEFAULT 0.0000, price decimal(20,4) NOT NULL DEFAULT 0.0000, PRIMARY KEY (item_id), KEY QUOTE_ITEM_QUOTE_ID (quote_id), KEY QUOTE_ITEM_PRODUCT_ID (product_id), CONSTRAINT QUOTE_ITEM_QUOTE_ID_QUOTE_ENTITY_ID FOREIGN KEY (quote_id) REFERENCES quote (entity_id) ON DELETE CASCADE, CONSTRAINT QUOTE_ITEM_PRODUCT_ID_CATALOG_PRODUCT_ENTITY_ENTITY_ID FOREIGN KEY (product_id) REFERENCES catalog_product_entity (entity_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE sales_order (entity_id int unsigned NOT NULL AUTO_INCREMENT, state varchar(32) DEFAULT NULL, status varchar(32) DEFAULT NULL, store_id smallint unsigned DEFAULT NULL, customer_id int unsigned DEFAULT NULL, grand_total decimal(20,4) DEFAULT NULL, increment_id varchar(32) DEFAULT NULL, created_at timestamp NOT NULL DEFAULT current_timestamp(), customer_note text DEFAULT NULL, PRIMARY KEY (entity_id), UNIQUE KEY SALES_ORDER_INCREMENT_ID_STORE_ID (increment_id,store_id), KEY SALES_ORDER_STATUS (status), KEY SALES_ORDER_STORE_ID (store_id), KEY SALES_ORDER_CUSTOMER_ID (customer_id), CONSTRAINT SALES_ORDER_CUSTOMER_ID_CUSTOMER_ENTITY_ENTITY_ID FOREIGN KEY (customer_id) REFERENCES customer_entity (entity_id) ON DELETE SET NULL, CONSTRAINT SALES_ORDER_STORE_ID_STORE_STORE_ID FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE SET NULL) ${ino}`,
    `CREATE TABLE sales_order_item (item_id int unsigned NOT NULL AUTO_INCREMENT, order_id int unsigned NOT NULL DEFAULT 0, parent_item_id int unsigned DEFAULT NULL, product_id int unsigned DEFAULT NULL, sku varchar(255) DEFAULT NULL, name varchar(255) DEFAULT NULL, qty_ordered decimal(12,4) DEFAULT 0.0000, price decimal(20,4) NOT NULL DEFAULT 0.0000, product_options longtext DEFAULT NULL, PRIMARY KEY (item_id), KEY SALES_ORDER_ITEM_ORDER_ID (order_id), CONSTRAINT SALES_ORDER_ITEM_ORDER_ID_SALES_ORDER_ENTITY_ID FOREIGN KEY (order_id) REFERENCES sales_order (entity_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE sales_order_address (entity_id int unsigned NOT NULL AUTO_INCREMENT, parent_id int unsigned DEFAULT NULL, address_type varchar(255) DEFAULT NULL, street varchar(255) DEFAULT NULL, city varchar(255) DEFAULT NULL, PRIMARY KEY (entity_id), KEY SALES_ORDER_ADDRESS_PARENT_ID (parent_id), CONSTRAINT SALES_ORDER_ADDRESS_PARENT_ID_SALES_ORDER_ENTITY_ID FOREIGN KEY (parent_id) REFERENCES sales_order (entity_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE sales_order_grid (entity_id int unsigned NOT NULL, status varchar(32) DEFAULT NULL, increment_id varchar(50) DEFAULT NULL, billing_name varchar(255) DEFAULT NULL, shipping_name varchar(255) DEFAULT NULL, customer_email varchar(128) DEFAULT NULL, grand_total decimal(20,4) DEFAULT NULL, PRIMARY KEY (entity_id), UNIQUE KEY SALES_ORDER_GRID_INCREMENT_ID (increment_id), KEY SALES_ORDER_GRID_STATUS (status), FULLTEXT KEY FTI_65B9E9925EC58F0C7C2E2F6379C233E7 (increment_id,billing_name,shipping_name,customer_email)) ${ino}`,
    `CREATE TABLE sequence_order_1 (sequence_value int unsigned NOT NULL AUTO_INCREMENT, PRIMARY KEY (sequence_value)) ${ino}`,
    `CREATE TABLE cms_page (page_id smallint NOT NULL AUTO_INCREMENT, title varchar(255) DEFAULT NULL, identifier varchar(100) DEFAULT NULL, content mediumtext DEFAULT NULL, is_active smallint NOT NULL DEFAULT 1, PRIMARY KEY (page_id), FULLTEXT KEY CMS_PAGE_TITLE_IDENTIFIER_CONTENT (title,identifier,content)) ${ino}`,
    `CREATE TABLE cms_block (block_id smallint NOT NULL AUTO_INCREMENT, title varchar(255) NOT NULL, identifier varchar(255) NOT NULL, content mediumtext DEFAULT NULL, PRIMARY KEY (block_id)) ${ino}`,
    `CREATE TABLE url_rewrite (url_rewrite_id int unsigned NOT NULL AUTO_INCREMENT, entity_type varchar(32) NOT NULL, entity_id int unsigned NOT NULL, request_path varchar(255) DEFAULT NULL, target_path varchar(255) DEFAULT NULL, redirect_type smallint unsigned NOT NULL DEFAULT 0, store_id smallint unsigned NOT NULL, metadata varchar(255) DEFAULT NULL, PRIMARY KEY (url_rewrite_id), UNIQUE KEY URL_REWRITE_REQUEST_PATH_STORE_ID (request_path,store_id), KEY URL_REWRITE_TARGET_PATH (target_path), KEY URL_REWRITE_STORE_ID_ENTITY_ID (store_id,entity_id)) ${ino}`,
    `CREATE TABLE core_config_data (config_id int unsigned NOT NULL AUTO_INCREMENT, scope varchar(8) NOT NULL DEFAULT 'default', scope_id int NOT NULL DEFAULT 0, path varchar(255) NOT NULL DEFAULT 'general', value mediumtext DEFAULT NULL, updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(), PRIMARY KEY (config_id), UNIQUE KEY CORE_CONFIG_DATA_SCOPE_SCOPE_ID_PATH (scope,scope_id,path)) ${ino}`,
    `CREATE TABLE cron_schedule (schedule_id int unsigned NOT NULL AUTO_INCREMENT, job_code varchar(255) NOT NULL DEFAULT '0', status varchar(7) NOT NULL DEFAULT 'pending', messages text DEFAULT NULL, created_at timestamp NOT NULL DEFAULT current_timestamp(), scheduled_at timestamp NULL DEFAULT NULL, executed_at timestamp NULL DEFAULT NULL, finished_at timestamp NULL DEFAULT NULL, PRIMARY KEY (schedule_id), KEY CRON_SCHEDULE_JOB_CODE_STATUS_SCHEDULED_AT (job_code,status,scheduled_at)) ${ino}`,
    `CREATE TABLE inventory_source_item (source_item_id int unsigned NOT NULL AUTO_INCREMENT, source_code varchar(255) NOT NULL, sku varchar(64) NOT NULL, quantity decimal(12,4) NOT NULL DEFAULT 0.0000, status smallint unsigned NOT NULL DEFAULT 0, PRIMARY KEY (source_item_id), UNIQUE KEY INVENTORY_SOURCE_ITEM_SOURCE_CODE_SKU (source_code,sku), KEY INVENTORY_SOURCE_ITEM_SKU_SOURCE_CODE_QUANTITY (sku,source_code,quantity)) ${ino}`,
    `CREATE TABLE admin_user (user_id int unsigned NOT NULL AUTO_INCREMENT, firstname varchar(32) DEFAULT NULL, email varchar(128) DEFAULT NULL, username varchar(40) DEFAULT NULL, password varchar(255) NOT NULL, extra text DEFAULT NULL, is_active smallint NOT NULL DEFAULT 1, PRIMARY KEY (user_id), UNIQUE KEY ADMIN_USER_USERNAME (username)) ${ino}`,
    `CREATE TABLE search_query (query_id int unsigned NOT NULL AUTO_INCREMENT, query_text varchar(255) DEFAULT NULL, num_results int unsigned NOT NULL DEFAULT 0, popularity int unsigned NOT NULL DEFAULT 0, store_id smallint unsigned NOT NULL DEFAULT 0, PRIMARY KEY (query_id), UNIQUE KEY SEARCH_QUERY_QUERY_TEXT_STORE_ID (query_text,store_id), KEY SEARCH_QUERY_STORE_ID (store_id), CONSTRAINT SEARCH_QUERY_STORE_ID_STORE_STORE_ID FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE CASCADE) ${ino}`,
    `CREATE TABLE report_event_log (event_type_id smallint unsigned NOT NULL, object_id int unsigned NOT NULL DEFAULT 0, subject_id int unsigned NOT NULL DEFAULT 0, logged_at timestamp NOT NULL DEFAULT current_timestamp(), KEY REPORT_EVENT_LOG_OBJECT_ID (object_id)) ${ino} COMMENT='no primary key'`,
    `CREATE TABLE flag (flag_id int unsigned NOT NULL AUTO_INCREMENT, flag_code varchar(255) NOT NULL, state smallint unsigned NOT NULL DEFAULT 0, flag_data mediumtext DEFAULT NULL, last_update timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(), PRIMARY KEY (flag_id), KEY FLAG_LAST_UPDATE (last_update)) ${ino}`,
  ];
  const ts = "'2024-03-01 10:00:00'";
  const data = [
    `INSERT INTO store_website VALUES (0,'admin','Admin',0,0,0),(1,'base','Main Website',0,1,1)`,
    `INSERT INTO store_group VALUES (0,0,'Default',0,0,'default'),(1,1,'Main Website Store',2,1,'main_website_store')`,
    `INSERT INTO store VALUES (0,'admin',0,0,'Admin',0,1),(1,'default',1,1,'Default Store View',0,1),(2,'de',1,1,'Deutsch',1,1)`,
    `INSERT INTO eav_entity_type VALUES (1,'customer','Magento\\\\Customer\\\\Model\\\\ResourceModel\\\\Customer'),(4,'catalog_product','Magento\\\\Catalog\\\\Model\\\\ResourceModel\\\\Product')`,
    `INSERT INTO eav_attribute (attribute_id, entity_type_id, attribute_code, backend_type, frontend_label) VALUES (73,4,'name','varchar','Product Name'),(77,4,'price','decimal','Price'),(99,4,'status','int','Enable Product'),(75,4,'description','text','Description'),(94,4,'news_from_date','datetime','Set Product as New from')`,
    `INSERT INTO catalog_product_entity (entity_id, attribute_set_id, type_id, sku, created_at, updated_at) SELECT seq, 4, IF(seq % 7 = 0, 'configurable', 'simple'), CONCAT('SKU-', seq), ${ts}, ${ts} FROM seq_1_to_120`,
    `INSERT INTO catalog_product_entity_varchar (attribute_id, store_id, entity_id, value) SELECT 73, s.store_id, p.entity_id, CONCAT(IF(s.store_id = 2, 'Produkt Größe ', 'Product '), p.entity_id, ' – “quoted”\\t') FROM catalog_product_entity p JOIN store s ON s.store_id IN (0, 2)`,
    `INSERT INTO catalog_product_entity_decimal (attribute_id, store_id, entity_id, value) SELECT 77, 0, entity_id, entity_id * 1.25 FROM catalog_product_entity`,
    `INSERT INTO catalog_product_entity_int (attribute_id, store_id, entity_id, value) SELECT 99, 0, entity_id, entity_id % 2 FROM catalog_product_entity`,
    `INSERT INTO catalog_product_entity_text (attribute_id, store_id, entity_id, value) SELECT 75, 0, entity_id, CONCAT('<p>Description of product ', entity_id, '</p>\\n<p>Line two \\\\ backslash</p>') FROM catalog_product_entity WHERE entity_id % 3 = 0`,
    `INSERT INTO catalog_product_entity_datetime (attribute_id, store_id, entity_id, value) SELECT 94, 0, entity_id, '2024-01-01' + INTERVAL entity_id DAY FROM catalog_product_entity WHERE entity_id % 5 = 0`,
    `INSERT INTO catalog_category_entity VALUES (1,3,0,'1',0,0,2),(2,3,1,'1/2',1,1,3),(3,3,2,'1/2/3',1,2,0),(4,3,2,'1/2/4',2,2,0),(5,3,2,'1/2/5',3,2,0)`,
    `INSERT INTO catalog_category_entity_varchar (attribute_id, store_id, entity_id, value) VALUES (45,0,3,'Women'),(45,0,4,'Men'),(45,2,4,'Herren'),(45,0,5,'Gear')`,
    `INSERT INTO catalog_category_product (category_id, product_id, position) SELECT 3 + entity_id % 3, entity_id, entity_id FROM catalog_product_entity`,
    `INSERT INTO catalog_product_website SELECT entity_id, 1 FROM catalog_product_entity`,
    `INSERT INTO mview_state VALUES (1,'catalog_product_attribute','enabled','idle',${ts},12),(2,'catalog_category_product','enabled','idle',${ts},3)`,
    `INSERT INTO customer_entity (entity_id, website_id, email, group_id, store_id, created_at, firstname, lastname, dob, password_hash) SELECT seq, 1, CONCAT('customer', seq, '@example.com'), 1, 1, ${ts}, CONCAT('First', seq), IF(seq % 4 = 0, 'Müller', CONCAT('Last', seq)), IF(seq % 3 = 0, NULL, '1980-01-01' + INTERVAL seq DAY), SHA2(seq, 256) FROM seq_1_to_40`,
    `INSERT INTO customer_address_entity (parent_id, city, country_id, postcode, street, telephone) SELECT entity_id, 'Berlin', 'DE', '10115', CONCAT('Street ', entity_id, '\\nApartment 2'), '+49 30 123' FROM customer_entity`,
    `INSERT INTO quote (entity_id, store_id, created_at, items_count, grand_total, customer_id, customer_email) SELECT seq, 1, ${ts}, 2, seq * 10.5, IF(seq % 2 = 0, seq, NULL), IF(seq % 2 = 0, CONCAT('customer', seq, '@example.com'), NULL) FROM seq_1_to_30`,
    `INSERT INTO quote_item (quote_id, product_id, sku, name, qty, price) SELECT q.entity_id, p.entity_id, p.sku, CONCAT('Product ', p.entity_id), 1, 9.99 FROM quote q JOIN catalog_product_entity p ON p.entity_id IN (q.entity_id, q.entity_id + 1)`,
    `INSERT INTO sales_order (entity_id, state, status, store_id, customer_id, grand_total, increment_id, created_at, customer_note) SELECT seq, 'processing', IF(seq % 3 = 0, 'complete', 'processing'), 1, seq, seq * 19.99, LPAD(seq, 9, '0'), ${ts}, IF(seq % 5 = 0, 'Please ring twice 🔔', NULL) FROM seq_1_to_25`,
    `INSERT INTO sales_order_item (order_id, product_id, sku, name, qty_ordered, price, product_options) SELECT o.entity_id, o.entity_id, CONCAT('SKU-', o.entity_id), 'Item', 1, 19.99, '{"info_buyRequest":{"qty":1,"options":[]}}' FROM sales_order o`,
    `INSERT INTO sales_order_address (parent_id, address_type, street, city) SELECT entity_id, 'billing', 'Hauptstraße 1', 'München' FROM sales_order`,
    `INSERT INTO sales_order_grid (entity_id, status, increment_id, billing_name, shipping_name, customer_email, grand_total) SELECT entity_id, status, increment_id, 'Jane Doe', 'Jane Doe', CONCAT('customer', customer_id, '@example.com'), grand_total FROM sales_order`,
    `INSERT INTO sequence_order_1 SELECT seq FROM seq_1_to_25`,
    `INSERT INTO cms_page (title, identifier, content) VALUES ('404 Not Found','no-route','<div>The page you requested was not found</div>'),('Home page','home','<p>CMS homepage content goes here.</p>'),('Privacy','privacy-policy-cookie-restriction-mode',REPEAT('Lorem ipsum dolor sit amet. ', 200))`,
    `INSERT INTO cms_block (title, identifier, content) VALUES ('Footer links','footer_links','<ul><li><a href="{{store url=""}}">Home</a></li></ul>')`,
    `INSERT INTO url_rewrite (entity_type, entity_id, request_path, target_path, store_id) SELECT 'product', entity_id, CONCAT('product-', entity_id, '.html'), CONCAT('catalog/product/view/id/', entity_id), 1 FROM catalog_product_entity`,
    `INSERT INTO core_config_data (scope, scope_id, path, value, updated_at) VALUES ('default',0,'web/seo/use_rewrites','1',${ts}),('default',0,'web/unsecure/base_url','http://shop.example.com/',${ts}),('stores',2,'general/locale/code','de_DE',${ts}),('default',0,'design/head/default_title',NULL,${ts})`,
    `INSERT INTO cron_schedule (job_code, status, created_at, scheduled_at, executed_at, finished_at) SELECT 'indexer_reindex_all_invalid', IF(seq % 2 = 0, 'success', 'pending'), ${ts}, ${ts}, IF(seq % 2 = 0, ${ts}, NULL), NULL FROM seq_1_to_20`,
    `INSERT INTO inventory_source_item (source_code, sku, quantity, status) SELECT 'default', sku, entity_id % 100, 1 FROM catalog_product_entity`,
    `INSERT INTO admin_user (firstname, email, username, password, extra) VALUES ('Admin','admin@example.com','admin','$2y$10$abcdefghijklmnopqrstuv','{"configState":{"general_locale":"1"}}')`,
    `INSERT INTO search_query (query_text, num_results, popularity, store_id) VALUES ('shirt',12,40,1),('Jacke',3,2,2),('',0,1,1)`,
    `INSERT INTO report_event_log VALUES (1,5,0,${ts}),(1,5,0,${ts}),(2,7,3,${ts})`,
    `INSERT INTO flag (flag_code, state, flag_data, last_update) VALUES ('catalog_website_attribute_is_sync_required',0,NULL,${ts})`,
    `INSERT INTO catalog_product_entity_cl (entity_id) SELECT entity_id FROM catalog_product_entity WHERE entity_id <= 12`,
  ];
  const triggers: string[] = [];
  for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
    for (const t of ['catalog_product_entity', 'catalog_product_entity_int', 'catalog_product_entity_varchar']) {
      const row = event === 'DELETE' ? 'OLD' : 'NEW';
      triggers.push(
        `CREATE TRIGGER trg_${t}_after_${event.toLowerCase()} AFTER ${event} ON ${t} FOR EACH ROW\nBEGIN\nINSERT IGNORE INTO \`catalog_product_entity_cl\` (\`entity_id\`) VALUES (${row}.\`entity_id\`);\nEND`,
      );
    }
  }
  triggers.push(
    `CREATE TRIGGER trg_catalog_category_product_after_insert AFTER INSERT ON catalog_category_product FOR EACH ROW\nBEGIN\nINSERT IGNORE INTO \`catalog_category_product_cl\` (\`entity_id\`) VALUES (NEW.\`category_id\`);\nEND`,
  );
  return [
    `CREATE DATABASE ${d} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`,
    `USE ${d}`,
    ...tables,
    ...data,
    ...triggers,
    `CREATE VIEW v_product_names AS SELECT e.entity_id, e.sku, v.value AS name FROM catalog_product_entity e JOIN catalog_product_entity_varchar v ON v.entity_id = e.entity_id AND v.store_id = 0 AND v.attribute_id = 73`,
  ];
}

/** A database with one table of every column type (see the fidelity test), plus views, routines and an event. */
export function typesSchema(db: string, opts: { bigRowBytes: number }): string[] {
  const d = quoteIdent(db);
  const allBytes = 'UNHEX(' + "'" + Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join('') + "'" + ')';
  return [
    `CREATE DATABASE ${d} CHARACTER SET latin1 COLLATE latin1_swedish_ci`,
    `USE ${d}`,
    `CREATE TABLE types (
      id int unsigned NOT NULL AUTO_INCREMENT,
      u varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci DEFAULT NULL,
      l varchar(100) CHARACTER SET latin1 DEFAULT NULL,
      fixed binary(4) DEFAULT NULL,
      vb varbinary(300) DEFAULT NULL,
      bl blob DEFAULT NULL,
      lb longblob DEFAULT NULL,
      txt text CHARACTER SET utf8mb4 DEFAULT NULL,
      maybe varchar(10) DEFAULT NULL,
      d date NOT NULL DEFAULT '0000-00-00',
      dt datetime(6) DEFAULT NULL,
      zdt datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
      ts timestamp(3) NULL DEFAULT NULL,
      tm time(2) DEFAULT NULL,
      y year(4) DEFAULT NULL,
      dec1 decimal(30,10) DEFAULT NULL,
      f float DEFAULT NULL,
      dbl double DEFAULT NULL,
      b1 bit(1) DEFAULT NULL,
      b10 bit(10) DEFAULT NULL,
      b64 bit(64) DEFAULT NULL,
      e enum('a','b','c d','') DEFAULT NULL,
      s set('x','y','z') DEFAULT NULL,
      j json DEFAULT NULL,
      pt point DEFAULT NULL,
      geo geometry DEFAULT NULL,
      gv int GENERATED ALWAYS AS (id * 2) VIRTUAL,
      gs varchar(110) CHARACTER SET utf8mb4 GENERATED ALWAYS AS (concat(ifnull(u,'-'),'!')) STORED,
      PRIMARY KEY (id),
      KEY by_u (u),
      KEY by_gs (gs),
      UNIQUE KEY by_fixed (fixed)
    ) ENGINE=InnoDB AUTO_INCREMENT=5000 DEFAULT CHARSET=latin1`,
    `INSERT INTO types (id, u, l, fixed, vb, bl, lb, txt, maybe, d, dt, zdt, ts, tm, y, dec1, f, dbl, b1, b10, b64, e, s, j, pt, geo) VALUES
      (1, 'I ❤ 🍕 — Grüße', CONVERT('café ÿ ñ' USING latin1), 0x00ff0a09, ${allBytes}, REPEAT(${allBytes}, 4), ${allBytes}, 'tab\\there\\nnewline \\\\ backslash \\\\N not null', '',
        '2024-02-29', '2024-02-29 23:59:59.123456', '2024-01-01 00:00:00', '2038-01-19 03:14:07.999', '-838:59:59.99', 2155,
        -12345678901234567890.0123456789, 1.00000012, 0.30000000000000004, b'1', b'1010101010', 0xFFFFFFFFFFFFFFFF, 'c d', 'x,z',
        '{"a": [1, 2.5, "\\\\u00e9"], "b": null}', POINT(1.5, -2.25), ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))')),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '0000-00-00', NULL, '0000-00-00 00:00:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (3, '', '', 0x00000000, '', '', '', '', '', '1000-01-01', '1000-01-01 00:00:00.000000', '9999-12-31 23:59:59', '1970-01-01 00:00:01', '00:00:00', 1901,
        0, 3.4028234e38, 2.2250738585072014e-308, b'0', b'0', 0, '', '', '[]', POINT(0, 0), ST_GeomFromText('LINESTRING(0 0,1 1,2 1)')),
      (4, '\\\\N', CONVERT('\\t\\n\\\\' USING latin1), 0x5c4e0000, 0x5c4e, 0x0d0a1a, 0x00, '\\r\\n', '\\\\N',
        '2000-00-00', '2020-06-15 12:00:00.000001', '2020-00-15 00:00:00', '2020-06-15 12:00:00.5', '12:34:56.78', 2000,
        0.0000000001, -1.17549435e-38, -1.7976931348623157e308, b'1', b'1111111111', 1, 'a', 'x,y,z', '"string"', NULL, NULL)`,
    `INSERT INTO types (id, lb, txt) VALUES (10, REPEAT(${allBytes}, ${Math.ceil(opts.bigRowBytes / 256)}), 'the big row')`,
    `CREATE TABLE \`we\`\`ird tbl.name/ü €\` (\`col with space\` int NOT NULL, \`dot.col\` varchar(10) DEFAULT NULL, PRIMARY KEY (\`col with space\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    `INSERT INTO \`we\`\`ird tbl.name/ü €\` VALUES (1, 'one'), (2, NULL), (-3, 'minus')`,
    `CREATE TABLE \`..\` (id int PRIMARY KEY) ENGINE=InnoDB`,
    `INSERT INTO \`..\` VALUES (7)`,
    `CREATE TABLE empty_table (id bigint NOT NULL PRIMARY KEY, note varchar(10)) ENGINE=InnoDB AUTO_INCREMENT=77`,
    `CREATE TABLE parent (id int NOT NULL PRIMARY KEY, name varchar(20) NOT NULL, UNIQUE KEY uniq_name (name)) ENGINE=InnoDB`,
    `CREATE TABLE child (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, parent_id int NOT NULL, parent_name varchar(20), KEY by_parent (parent_id), CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE ON UPDATE CASCADE, CONSTRAINT fk_child_name FOREIGN KEY (parent_name) REFERENCES parent (name)) ENGINE=InnoDB`,
    `INSERT INTO parent VALUES (1, 'one'), (2, 'two')`,
    `INSERT INTO child (parent_id, parent_name) VALUES (1, 'one'), (2, NULL), (2, 'two')`,
    `CREATE TABLE log_myisam (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, msg varchar(50)) ENGINE=MyISAM`,
    `INSERT INTO log_myisam (msg) VALUES ('not transactional')`,
    `CREATE TABLE nopk (a int, b varchar(10)) ENGINE=InnoDB`,
    `INSERT INTO nopk VALUES (3, 'c'), (1, 'a'), (2, NULL), (1, 'a')`,
    `CREATE DEFINER = 'envsnap_definer'@'%' SQL SECURITY DEFINER VIEW v_types AS SELECT id, u, l FROM types WHERE id < 10`,
    `CREATE VIEW v_on_v AS SELECT id, u FROM v_types WHERE u IS NOT NULL`,
    `CREATE VIEW \`view.with space\` AS SELECT * FROM \`we\`\`ird tbl.name/ü €\``,
    `CREATE FUNCTION f_double(x int) RETURNS int DETERMINISTIC RETURN x * 2`,
    `CREATE PROCEDURE p_count(OUT n int) READS SQL DATA BEGIN SELECT COUNT(*) INTO n FROM ${d}.types; SELECT COUNT(*) INTO n FROM ${db}.types WHERE ${d}.types.id > 0; END`,
    `CREATE TRIGGER trg_child_bi BEFORE INSERT ON child FOR EACH ROW SET NEW.parent_name = IFNULL(NEW.parent_name, (SELECT name FROM parent WHERE id = NEW.parent_id))`,
    `CREATE EVENT ev_cleanup ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE COMMENT 'nightly' DO DELETE FROM log_myisam WHERE id < 0`,
  ];
}
