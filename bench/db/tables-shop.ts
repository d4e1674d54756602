/**
 * Generated tables of the shop's frame: websites and stores (with Magento's admin store 0), EAV metadata,
 * configuration, customers and their addresses, CMS pages and blocks, and the log-like tables — report
 * events, an API log with BLOB payloads, database sessions (BLOB) and a search log without a primary key.
 */
import { randomBytes } from '../random.ts';
import { fixedRows, fk, type Counts, type TableDef } from './table-def.ts';
import { AGENTS, CITIES, FIRST, LAST, STREETS, between, datetime, datetimeAt, email, hex, html, ip, pick, productSku, sentences, type Value } from './values.ts';

const ENTITY_TYPES = ['customer', 'customer_address', 'catalog_category', 'catalog_product', 'order', 'invoice', 'creditmemo', 'shipment'];
const ATTRIBUTE_CODES: Record<number, string> = {
  45: 'name', 46: 'is_active', 47: 'description', 54: 'include_in_menu', 69: 'is_anchor', 73: 'name', 75: 'description', 76: 'short_description',
  77: 'price', 78: 'special_price', 79: 'news_from_date', 81: 'cost', 82: 'weight', 83: 'manufacturer', 84: 'meta_title', 86: 'meta_description',
  87: 'image', 88: 'small_image', 89: 'thumbnail', 93: 'color', 97: 'status', 99: 'visibility', 119: 'url_key', 120: 'url_path', 121: 'url_key',
  132: 'tax_class_id', 136: 'gift_message_available', 144: 'size',
};
const SEARCH_WORDS = ['shirt', 'dress', 'bag', 'shoes', 'jacket', 'mug', 'towel', 'lamp', 'backpack', 'sneaker', 'rot', 'blau', 'größe 42', 'sale', 'gift card'];
const SESSION_KEYS = ['_session_validator_data', 'session_hosts', 'default', 'customer_website_1', 'checkout', 'catalog', 'reports', 'persistent_shopping_cart'];

function* customers(c: Counts): Generator<Value[]> {
  for (let u = 1; u <= c.customers; u++) {
    const created = datetimeAt(u, c.customers, 1);
    const first = pick(FIRST, u, 2);
    const last = pick(LAST, u, 3);
    yield [u, 1, email(2, u), between(u, 4, 1, 3), null, 1, created, datetime(u, 5), 1, 0, 'Default Store View', null, first, null, last, null,
      `19${between(u, 6, 50, 99)}-0${between(u, 7, 1, 9)}-1${between(u, 8, 0, 9)}`, `${hex(u, 9, 64)}:${hex(u, 10, 32)}:3_32_2_67108864`,
      null, null, u * 2 - 1 + (u % 2), u * 2 - 1, null, null, between(u, 11, 0, 2), 0, null, null, null];
  }
}

function address(id: number, u: number, kind: string): Value[] {
  return [id, null, u, datetime(id, 20), datetime(id, 21), 1, pick(CITIES, id, 22), id % 7 === 0 ? `${pick(LAST, id, 23)} GmbH` : null, 'DE', null,
    pick(FIRST, u, 2), null, pick(LAST, u, 3), String(between(id, 24, 10000, 99999)), null, 'Berlin', 82, `${pick(STREETS, id, 25)} ${between(id, 26, 1, 180)}\n${kind}`, null,
    `+49 ${between(id, 27, 100, 999)} ${between(id, 28, 100000, 9999999)}`, null];
}

function* addresses(c: Counts): Generator<Value[]> {
  let id = 0;
  for (let u = 1; u <= c.customers; u++) {
    yield address(++id, u, 'Hinterhaus');
    if (u % 2 === 0) yield address(++id, u, '2. OG links');
  }
}

export function shopTables(): TableDef[] {
  return [
    {
      name: 'store_website',
      columns: ['website_id smallint unsigned NOT NULL AUTO_INCREMENT', 'code varchar(32) DEFAULT NULL', 'name varchar(64) DEFAULT NULL', 'sort_order smallint unsigned NOT NULL DEFAULT 0', 'default_group_id smallint unsigned NOT NULL DEFAULT 0', 'is_default smallint unsigned DEFAULT 0'],
      primaryKey: 'website_id',
      indexes: ['UNIQUE KEY STORE_WEBSITE_CODE (code)', 'KEY STORE_WEBSITE_SORT_ORDER (sort_order)'],
      ...fixedRows([[0, 'admin', 'Admin', 0, 0, 0], [1, 'base', 'Main Website', 0, 1, 1]]),
    },
    {
      name: 'store_group',
      columns: ['group_id smallint unsigned NOT NULL AUTO_INCREMENT', 'website_id smallint unsigned NOT NULL DEFAULT 0', 'name varchar(255) NOT NULL', 'root_category_id int unsigned NOT NULL DEFAULT 0', 'default_store_id smallint unsigned NOT NULL DEFAULT 0', 'code varchar(32) DEFAULT NULL'],
      primaryKey: 'group_id',
      indexes: ['UNIQUE KEY STORE_GROUP_CODE (code)', 'KEY STORE_GROUP_WEBSITE_ID (website_id)'],
      foreignKeys: [fk('website_id', 'store_website', 'website_id')],
      ...fixedRows([[0, 0, 'Default', 0, 0, 'default'], [1, 1, 'Main Website Store', 2, 1, 'main_website_store']]),
    },
    {
      name: 'store',
      columns: ['store_id smallint unsigned NOT NULL AUTO_INCREMENT', 'code varchar(32) DEFAULT NULL', 'website_id smallint unsigned NOT NULL DEFAULT 0', 'group_id smallint unsigned NOT NULL DEFAULT 0', 'name varchar(255) NOT NULL', 'sort_order smallint unsigned NOT NULL DEFAULT 0', 'is_active smallint unsigned NOT NULL DEFAULT 0'],
      primaryKey: 'store_id',
      indexes: ['UNIQUE KEY STORE_CODE (code)', 'KEY STORE_WEBSITE_ID (website_id)', 'KEY STORE_IS_ACTIVE_SORT_ORDER (is_active,sort_order)', 'KEY STORE_GROUP_ID (group_id)'],
      foreignKeys: [fk('group_id', 'store_group', 'group_id'), fk('website_id', 'store_website', 'website_id')],
      ...fixedRows([[0, 'admin', 0, 0, 'Admin', 0, 1], [1, 'default', 1, 1, 'Default Store View', 0, 1], [2, 'de', 1, 1, 'Deutsch', 1, 1]]),
    },
    {
      name: 'eav_entity_type',
      columns: ['entity_type_id smallint unsigned NOT NULL AUTO_INCREMENT', 'entity_type_code varchar(50) NOT NULL', 'entity_model varchar(255) NOT NULL', 'entity_table varchar(255) DEFAULT NULL', 'default_attribute_set_id smallint unsigned NOT NULL DEFAULT 0'],
      primaryKey: 'entity_type_id',
      indexes: ['KEY EAV_ENTITY_TYPE_ENTITY_TYPE_CODE (entity_type_code)'],
      ...fixedRows(ENTITY_TYPES.map((code, i) => [i + 1, code, `Magento\\${code}\\Model\\ResourceModel`, `${code}_entity`, i + 1])),
    },
    {
      name: 'eav_attribute',
      columns: ['attribute_id smallint unsigned NOT NULL AUTO_INCREMENT', 'entity_type_id smallint unsigned NOT NULL DEFAULT 0', 'attribute_code varchar(255) NOT NULL', 'backend_type varchar(8) NOT NULL DEFAULT \'static\'', 'frontend_input varchar(50) DEFAULT NULL', 'frontend_label varchar(255) DEFAULT NULL', 'is_required smallint unsigned NOT NULL DEFAULT 0', 'is_user_defined smallint unsigned NOT NULL DEFAULT 0', 'default_value text DEFAULT NULL', 'note varchar(255) DEFAULT NULL'],
      primaryKey: 'attribute_id',
      indexes: ['UNIQUE KEY EAV_ATTRIBUTE_ENTITY_TYPE_ID_ATTRIBUTE_CODE (entity_type_id,attribute_code)', 'KEY EAV_ATTRIBUTE_FRONTEND_INPUT_ENTITY_TYPE_ID_IS_USER_DEFINED (frontend_input,entity_type_id,is_user_defined)'],
      foreignKeys: [fk('entity_type_id', 'eav_entity_type', 'entity_type_id')],
      ...fixedRows(Array.from({ length: 160 }, (_, i) => {
        const id = i + 1;
        const code = ATTRIBUTE_CODES[id] ?? `attribute_${id}`;
        return [id, id < 45 ? 1 : id < 73 || id === 119 || id === 120 ? 3 : 4, code, pick(['varchar', 'int', 'decimal', 'text', 'datetime', 'static'], id, 1), pick(['text', 'select', 'price', 'textarea', 'date', 'boolean'], id, 2), code.replace(/_/g, ' '), id % 5 === 0 ? 1 : 0, id > 140 ? 1 : 0, null, null];
      })),
    },
    {
      name: 'customer_group',
      columns: ['customer_group_id int unsigned NOT NULL AUTO_INCREMENT', 'customer_group_code varchar(32) NOT NULL', 'tax_class_id int unsigned NOT NULL DEFAULT 0'],
      primaryKey: 'customer_group_id',
      ...fixedRows([[0, 'NOT LOGGED IN', 3], [1, 'General', 3], [2, 'Wholesale', 3], [3, 'Retailer', 3]]),
    },
    {
      name: 'core_config_data',
      columns: ['config_id int unsigned NOT NULL AUTO_INCREMENT', "scope varchar(8) NOT NULL DEFAULT 'default'", 'scope_id int NOT NULL DEFAULT 0', "path varchar(255) NOT NULL DEFAULT 'general'", 'value text DEFAULT NULL', 'updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()'],
      primaryKey: 'config_id',
      indexes: ['UNIQUE KEY CORE_CONFIG_DATA_SCOPE_SCOPE_ID_PATH (scope,scope_id,path)'],
      ...fixedRows(Array.from({ length: 1200 }, (_, i) => [i + 1, pick(['default', 'websites', 'stores'], i, 1), i % 3, `section_${i % 60}/group_${i % 17}/field_${i}`, i % 11 === 0 ? `{"serialized":${JSON.stringify(sentences(i, 2, 1))}}` : String(between(i, 3, 0, 1000)), datetime(i, 4)])),
    },
    {
      name: 'mview_state',
      columns: ['state_id int unsigned NOT NULL AUTO_INCREMENT', 'view_id varchar(255) DEFAULT NULL', "mode varchar(16) DEFAULT 'disabled'", "status varchar(16) DEFAULT 'idle'", 'updated datetime DEFAULT NULL', 'version_id int unsigned DEFAULT NULL'],
      primaryKey: 'state_id',
      indexes: ['KEY MVIEW_STATE_VIEW_ID (view_id)', 'KEY MVIEW_STATE_MODE (mode)'],
      ...fixedRows(['cataloginventory_stock', 'catalog_product_attribute', 'catalog_product_price', 'catalog_category_product'].map((v, i) => [i + 1, v, 'enabled', 'idle', '2025-06-01 03:00:00', 0])),
    },
    {
      name: 'customer_entity',
      columns: ['entity_id int unsigned NOT NULL AUTO_INCREMENT', 'website_id smallint unsigned DEFAULT NULL', 'email varchar(255) DEFAULT NULL', 'group_id smallint unsigned NOT NULL DEFAULT 0', 'increment_id varchar(50) DEFAULT NULL', 'store_id smallint unsigned DEFAULT 0',
        'created_at timestamp NOT NULL DEFAULT current_timestamp()', 'updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()', 'is_active smallint unsigned NOT NULL DEFAULT 1', 'disable_auto_group_change smallint unsigned NOT NULL DEFAULT 0',
        'created_in varchar(255) DEFAULT NULL', 'prefix varchar(40) DEFAULT NULL', 'firstname varchar(255) DEFAULT NULL', 'middlename varchar(255) DEFAULT NULL', 'lastname varchar(255) DEFAULT NULL', 'suffix varchar(40) DEFAULT NULL', 'dob date DEFAULT NULL',
        'password_hash varchar(128) DEFAULT NULL', 'rp_token varchar(128) DEFAULT NULL', 'rp_token_created_at datetime DEFAULT NULL', 'default_billing int unsigned DEFAULT NULL', 'default_shipping int unsigned DEFAULT NULL', 'taxvat varchar(50) DEFAULT NULL',
        'confirmation varchar(64) DEFAULT NULL', 'gender smallint unsigned DEFAULT NULL', 'failures_num smallint DEFAULT 0', 'first_failure timestamp NULL DEFAULT NULL', 'lock_expires timestamp NULL DEFAULT NULL', 'session_cutoff timestamp NULL DEFAULT NULL'],
      primaryKey: 'entity_id',
      indexes: ['UNIQUE KEY CUSTOMER_ENTITY_EMAIL_WEBSITE_ID (email,website_id)', 'KEY CUSTOMER_ENTITY_WEBSITE_ID (website_id)', 'KEY CUSTOMER_ENTITY_FIRSTNAME (firstname)', 'KEY CUSTOMER_ENTITY_LASTNAME (lastname)'],
      foreignKeys: [fk('store_id', 'store', 'store_id', 'SET NULL'), fk('website_id', 'store_website', 'website_id', 'SET NULL')],
      count: (c) => c.customers,
      rows: customers,
    },
    {
      name: 'customer_address_entity',
      columns: ['entity_id int unsigned NOT NULL AUTO_INCREMENT', 'increment_id varchar(50) DEFAULT NULL', 'parent_id int unsigned DEFAULT NULL', 'created_at timestamp NOT NULL DEFAULT current_timestamp()', 'updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()',
        'is_active smallint unsigned NOT NULL DEFAULT 1', 'city varchar(255) NOT NULL', 'company varchar(255) DEFAULT NULL', 'country_id varchar(255) NOT NULL', 'fax varchar(255) DEFAULT NULL', 'firstname varchar(255) NOT NULL', 'middlename varchar(255) DEFAULT NULL', 'lastname varchar(255) NOT NULL',
        'postcode varchar(255) DEFAULT NULL', 'prefix varchar(40) DEFAULT NULL', 'region varchar(255) DEFAULT NULL', 'region_id int unsigned DEFAULT NULL', 'street text NOT NULL', 'suffix varchar(40) DEFAULT NULL', 'telephone varchar(255) NOT NULL', 'vat_id varchar(255) DEFAULT NULL'],
      primaryKey: 'entity_id',
      indexes: ['KEY CUSTOMER_ADDRESS_ENTITY_PARENT_ID (parent_id)'],
      foreignKeys: [fk('parent_id', 'customer_entity', 'entity_id')],
      count: (c) => Math.round(c.customers * 1.5),
      rows: addresses,
    },
    {
      name: 'cms_page',
      columns: ['page_id smallint NOT NULL AUTO_INCREMENT', 'title varchar(255) DEFAULT NULL', 'page_layout varchar(255) DEFAULT NULL', 'meta_keywords text DEFAULT NULL', 'meta_description text DEFAULT NULL', 'identifier varchar(100) DEFAULT NULL', 'content_heading varchar(255) DEFAULT NULL',
        'content mediumtext DEFAULT NULL', 'creation_time timestamp NOT NULL DEFAULT current_timestamp()', 'update_time timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()', 'is_active smallint NOT NULL DEFAULT 1', 'sort_order smallint NOT NULL DEFAULT 0',
        'layout_update_xml text DEFAULT NULL', 'custom_theme varchar(100) DEFAULT NULL', 'custom_root_template varchar(255) DEFAULT NULL', 'meta_title varchar(255) DEFAULT NULL'],
      primaryKey: 'page_id',
      indexes: ['KEY CMS_PAGE_IDENTIFIER (identifier)', 'FULLTEXT KEY CMS_PAGE_TITLE_META_KEYWORDS_META_DESCRIPTION_IDENTIFIER_CONTENT (title,meta_keywords,meta_description,identifier,content)'],
      count: (c) => c.cmsPages,
      *rows(c) {
        for (let p = 1; p <= c.cmsPages; p++) {
          yield [p, `Seite ${p}: ${sentences(p, 1, 1).slice(0, 60)}`, pick(['1column', 'cms-full-width', '2columns-right'], p, 2), 'shop, mode, nachhaltig', sentences(p, 3, 2), `page-${p}`, null,
            html(p, 4, between(p, 5, 4_000, 60_000)), datetime(p, 6), datetime(p, 7), 1, 0, p % 9 === 0 ? '<referenceContainer name="content"><block class="Magento\\Cms\\Block\\Block"/></referenceContainer>' : null, null, null, `Page ${p}`];
        }
      },
    },
    {
      name: 'cms_page_store',
      columns: ['page_id smallint NOT NULL', 'store_id smallint unsigned NOT NULL'],
      primaryKey: 'page_id,store_id',
      indexes: ['KEY CMS_PAGE_STORE_STORE_ID (store_id)'],
      foreignKeys: [fk('page_id', 'cms_page', 'page_id'), fk('store_id', 'store', 'store_id')],
      count: (c) => c.cmsPages,
      *rows(c) {
        for (let p = 1; p <= c.cmsPages; p++) yield [p, p % 4 === 0 ? 2 : 0];
      },
    },
    {
      name: 'cms_block',
      columns: ['block_id smallint NOT NULL AUTO_INCREMENT', 'title varchar(255) NOT NULL', 'identifier varchar(255) NOT NULL', 'content mediumtext DEFAULT NULL', 'creation_time timestamp NOT NULL DEFAULT current_timestamp()', 'update_time timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()', 'is_active smallint NOT NULL DEFAULT 1'],
      primaryKey: 'block_id',
      indexes: ['FULLTEXT KEY CMS_BLOCK_TITLE_IDENTIFIER_CONTENT (title,identifier,content)'],
      count: (c) => c.cmsBlocks,
      *rows(c) {
        for (let b = 1; b <= c.cmsBlocks; b++) yield [b, `Block ${b}`, `block-${b}`, html(b, 11, between(b, 12, 500, 12_000)), datetime(b, 13), datetime(b, 14), 1];
      },
    },
    {
      name: 'report_event_types',
      columns: ['event_type_id smallint unsigned NOT NULL AUTO_INCREMENT', 'event_name varchar(64) NOT NULL', 'customer_login smallint unsigned NOT NULL DEFAULT 0'],
      primaryKey: 'event_type_id',
      ...fixedRows(['catalog_product_view', 'sendfriend_product', 'catalog_product_compare_add_product', 'checkout_cart_add_product', 'wishlist_add_product', 'wishlist_share'].map((n, i) => [i + 1, n, 0])),
    },
    {
      name: 'report_event',
      columns: ['event_id bigint unsigned NOT NULL AUTO_INCREMENT', 'logged_at timestamp NOT NULL DEFAULT current_timestamp()', 'event_type_id smallint unsigned NOT NULL DEFAULT 0', 'object_id int unsigned NOT NULL DEFAULT 0', 'subject_id int unsigned NOT NULL DEFAULT 0', 'subtype smallint unsigned NOT NULL DEFAULT 0', 'store_id smallint unsigned NOT NULL'],
      primaryKey: 'event_id',
      indexes: ['KEY REPORT_EVENT_EVENT_TYPE_ID (event_type_id)', 'KEY REPORT_EVENT_SUBJECT_ID (subject_id)', 'KEY REPORT_EVENT_OBJECT_ID (object_id)', 'KEY REPORT_EVENT_SUBTYPE (subtype)', 'KEY REPORT_EVENT_STORE_ID (store_id)'],
      foreignKeys: [fk('event_type_id', 'report_event_types', 'event_type_id'), fk('store_id', 'store', 'store_id')],
      count: (c) => c.events,
      *rows(c) {
        for (let e = 1; e <= c.events; e++) yield [e, datetimeAt(e, c.events, 1), 1 + (e % 6 === 0 ? between(e, 2, 1, 5) : 0), between(e, 3, 1, c.products), between(e, 4, 1, c.customers), e % 3 === 0 ? 1 : 0, 1 + (e % 2)];
      },
    },
    {
      name: 'integration_api_log',
      columns: ['log_id bigint unsigned NOT NULL AUTO_INCREMENT', 'created_at timestamp NOT NULL DEFAULT current_timestamp()', 'endpoint varchar(255) NOT NULL', 'http_method varchar(8) NOT NULL', 'status_code smallint unsigned NOT NULL', 'duration_ms int unsigned NOT NULL', 'request_headers text DEFAULT NULL', 'request_body blob DEFAULT NULL', 'response_body mediumblob DEFAULT NULL'],
      primaryKey: 'log_id',
      indexes: ['KEY INTEGRATION_API_LOG_CREATED_AT (created_at)', 'KEY INTEGRATION_API_LOG_ENDPOINT_STATUS_CODE (endpoint,status_code)'],
      count: (c) => c.apiLogs,
      *rows(c) {
        for (let l = 1; l <= c.apiLogs; l++) {
          const sku = productSku(between(l, 1, 1, c.products));
          const request = Buffer.from(JSON.stringify({ sku, qty: between(l, 2, 1, 500), source: 'erp', at: datetime(l, 3) }));
          // A binary response (an image thumbnail or a protobuf from the ERP): incompressible, every byte value.
          const response = l % 3 === 0 ? null : randomBytes(0xdb, l, between(l, 4, 200, 7_000));
          yield [l, datetimeAt(l, c.apiLogs, 5), `/rest/V1/products/${sku}/stockItems/1`, pick(['GET', 'PUT', 'POST'], l, 6), pick([200, 200, 200, 201, 400, 404, 500], l, 7), between(l, 8, 3, 4000),
            `User-Agent: ${pick(AGENTS, l, 9)}\r\nAuthorization: Bearer ${hex(l, 10, 32)}\r\nX-Forwarded-For: ${ip(l)}`, request, response];
        }
      },
    },
    {
      name: 'session',
      columns: ['session_id varchar(255) NOT NULL', 'session_expires int unsigned NOT NULL DEFAULT 0', 'session_data mediumblob NOT NULL'],
      primaryKey: 'session_id',
      count: (c) => c.sessions,
      *rows(c) {
        for (let s = 1; s <= c.sessions; s++) {
          let data = '';
          for (let k = 0; k < between(s, 1, 2, 8); k++) {
            const key = pick(SESSION_KEYS, s, k + 2);
            data += `${key}|a:3:{s:4:"data";s:${40 + k}:"${hex(s, k + 10, 40 + k)}";s:7:"visitor";a:2:{s:10:"visitor_id";i:${s * 10 + k};s:8:"quote_id";i:${between(s, k, 1, c.quotes)};}s:4:"text";s:0:"";}`;
          }
          yield [hex(s, 30, 26), 1_760_000_000 + between(s, 31, 0, 90 * 86400), data];
        }
      },
    },
    {
      name: 'catalogsearch_query_log',
      columns: ['query_text varchar(255) NOT NULL', 'store_id smallint unsigned NOT NULL DEFAULT 0', 'num_results int unsigned NOT NULL DEFAULT 0', 'customer_id int unsigned DEFAULT NULL', 'created_at timestamp NOT NULL DEFAULT current_timestamp()'],
      indexes: ['KEY CATALOGSEARCH_QUERY_LOG_QUERY_TEXT (query_text)'],
      count: (c) => c.orders * 2,
      *rows(c) {
        for (let q = 1; q <= c.orders * 2; q++) yield [`${pick(SEARCH_WORDS, q, 1)} ${pick(SEARCH_WORDS, q, 2)}`, 1 + (q % 2), between(q, 3, 0, 400), q % 3 === 0 ? null : between(q, 4, 1, c.customers), datetimeAt(q, c.orders * 2, 5)];
      },
    },
    {
      name: 'search_query',
      columns: ['query_id int unsigned NOT NULL AUTO_INCREMENT', 'query_text varchar(255) DEFAULT NULL', 'num_results int unsigned NOT NULL DEFAULT 0', 'popularity int unsigned NOT NULL DEFAULT 0', 'redirect varchar(255) DEFAULT NULL', 'store_id smallint unsigned NOT NULL DEFAULT 0', 'display_in_terms smallint NOT NULL DEFAULT 1', 'is_active smallint DEFAULT 1', 'is_processed smallint DEFAULT 0', 'updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()'],
      primaryKey: 'query_id',
      indexes: ['UNIQUE KEY SEARCH_QUERY_QUERY_TEXT_STORE_ID (query_text,store_id)', 'KEY SEARCH_QUERY_STORE_ID_POPULARITY (store_id,popularity)'],
      foreignKeys: [fk('store_id', 'store', 'store_id')],
      count: (c) => c.searchTerms,
      *rows(c) {
        for (let q = 1; q <= c.searchTerms; q++) yield [q, `${pick(SEARCH_WORDS, q, 1)} ${q}`, between(q, 2, 0, 500), between(q, 3, 1, 10_000), null, 1 + (q % 2), 1, 1, 0, datetime(q, 4)];
      },
    },
  ];
}
