/**
 * Synthetic shop text for the benchmark data set: log lines (Magento-style application logs, nginx access
 * logs) and a mysqldump-style SQL dump. Compressible like the real thing; all choices come from a Rng.
 */
import type { Rng } from './random.ts';

const FIRST = ['Anna', 'Ben', 'Clara', 'David', 'Elif', 'Felix', 'Greta', 'Hannah', 'Ivan', 'Julia', 'Karim', 'Lena', 'Marco', 'Nora', 'Oskar', 'Paula', 'Quentin', 'Rosa', 'Sven', 'Tina', 'Uwe', 'Vera', 'Willem', 'Yusuf', 'Zoe'];
const LAST = ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Hartmann', 'Lange'];
const DOMAINS = ['example.com', 'mail.example.org', 'shop-kunde.de', 'web.example.net', 'post.example.de'];
const WORDS = ['organic', 'cotton', 'shirt', 'summer', 'dress', 'leather', 'bag', 'running', 'shoe', 'wool', 'scarf', 'classic', 'jacket', 'slim', 'fit', 'jeans', 'silver', 'ring', 'ceramic', 'mug', 'bamboo', 'towel', 'linen', 'pillow', 'garden', 'chair', 'oak', 'table', 'travel', 'mug', 'yoga', 'mat'];
const COLORS = ['black', 'white', 'blue', 'red', 'green', 'grey', 'navy', 'beige', 'olive', 'rose'];
const STATUSES = ['pending', 'processing', 'complete', 'complete', 'complete', 'canceled', 'closed', 'holded'];
const SHIPPING = ['flatrate_flatrate', 'tablerate_bestway', 'dhl_express', 'ups_standard', 'freeshipping_freeshipping'];
const URLS = ['/', '/checkout/cart/', '/customer/account/login/', '/catalog/product/view/id/', '/catalog/category/view/id/', '/catalogsearch/result/?q=', '/checkout/onepage/success/', '/rest/V1/carts/mine/items', '/static/version1700000000/frontend/Shop/default/de_DE/js/app.js', '/media/catalog/product/cache/'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
];
const MESSAGES = [
  'Cache file clean: catalog_product_',
  'Broken reference: the element with name "catalog.compare.sidebar" can\'t be found in the layout.',
  'Add of item with id Magento_Sales::sales_order was processed',
  'Cron Job indexer_reindex_all_invalid is successfully finished. Statistics: {"sum":0.51,"count":1}',
  'Request to payment gateway finished, transaction id ',
  'Customer login succeeded for customer id ',
  'Product import batch finished, rows: ',
  'Order placed, increment id ',
  'Stock item saved for sku ',
  'Indexer catalogsearch_fulltext rebuilt in ',
];
const EXCEPTIONS = [
  'Magento\\Framework\\Exception\\NoSuchEntityException(code: 0): The product that was requested doesn\'t exist. Verify the product and try again.',
  'Magento\\Framework\\Exception\\LocalizedException(code: 0): Invalid Form Key. Please refresh the page.',
  'Zend_Db_Statement_Exception(code: 1205): SQLSTATE[HY000]: General error: 1205 Lock wait timeout exceeded; try restarting transaction',
  'Magento\\Framework\\Exception\\State\\InvalidTransitionException(code: 0): The order state can\'t be changed.',
];
const FRAMES = ['vendor/magento/framework/App/Http.php', 'vendor/magento/module-catalog/Model/ProductRepository.php', 'vendor/magento/module-sales/Model/Order.php', 'vendor/magento/framework/Interception/Interceptor.php', 'generated/code/Magento/Checkout/Controller/Cart/Add/Interceptor.php'];

export type LogKind = 'system' | 'debug' | 'exception' | 'cron' | 'payment' | 'access';
export const LOG_KINDS: readonly LogKind[] = ['system', 'debug', 'exception', 'cron', 'payment', 'access'];

function ip(rng: Rng): string {
  return `${rng.int(10, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

function sku(rng: Rng): string {
  return `${rng.pick(WORDS).slice(0, 3).toUpperCase()}${rng.int(100, 9999)}-${rng.pick(COLORS).toUpperCase()}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function logLine(rng: Rng, kind: LogKind, ms: number): string {
  const d = new Date(ms);
  if (kind === 'access') {
    const p = (n: number) => String(n).padStart(2, '0');
    const ts = `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
    const url = rng.pick(URLS) + (rng.chance(0.5) ? String(rng.int(1, 20000)) : '');
    const status = rng.chance(0.92) ? 200 : rng.pick([301, 302, 304, 404, 500]);
    return `${ip(rng)} - - [${ts}] "${rng.chance(0.85) ? 'GET' : 'POST'} ${url} HTTP/1.1" ${status} ${rng.int(120, 90000)} "https://shop.example.com${rng.pick(URLS)}" "${rng.pick(AGENTS)}" ${(rng.int(1, 2500) / 1000).toFixed(3)}\n`;
  }
  const ts = d.toISOString().replace('Z', '+00:00');
  if (kind === 'exception') {
    const frames = [];
    for (let i = rng.int(2, 6); i > 0; i--) frames.push(`#${i} /var/www/html/${rng.pick(FRAMES)}(${rng.int(20, 900)})`);
    return `[${ts}] main.CRITICAL: ${rng.pick(EXCEPTIONS)} {"exception":"[object] (at /var/www/html/${rng.pick(FRAMES)}:${rng.int(20, 900)})\\n[stacktrace]\\n${frames.join('\\n')}"} []\n`;
  }
  const level = kind === 'debug' ? 'DEBUG' : rng.chance(0.9) ? 'INFO' : 'WARNING';
  const channel = kind === 'cron' ? 'cron' : kind === 'payment' ? 'payment' : 'main';
  const context = rng.chance(0.3) ? `{"order_id":${rng.int(1, 500000)},"sku":"${sku(rng)}","customer_ip":"${ip(rng)}"}` : '[]';
  const message = rng.pick(MESSAGES);
  return `[${ts}] ${channel}.${level}: ${message}${message.endsWith(' ') ? rng.int(1, 999999) : ''} ${context} []\n`;
}

/** About `bytes` of log text (whole lines) of one kind, with timestamps rising from `startMs`. */
export function logText(rng: Rng, kind: LogKind, startMs: number, bytes: number): string {
  const lines: string[] = [];
  let length = 0;
  let ms = startMs;
  while (length < bytes) {
    ms += rng.int(5, 60_000);
    const line = logLine(rng, kind, ms);
    lines.push(line);
    length += line.length;
  }
  return lines.join('');
}

interface Table {
  name: string;
  create: string;
  /** Share of the dump's rows bytes. */
  share: number;
  row(rng: Rng, id: number): string;
}

function q(s: string): string {
  return s.includes("'") ? `'${s.replaceAll("'", "\\'")}'` : `'${s}'`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function datetime(rng: Rng): string {
  return `'${rng.int(2020, 2024)}-${pad2(rng.int(1, 12))}-${pad2(rng.int(1, 28))} ${pad2(rng.int(0, 23))}:${pad2(rng.int(0, 59))}:${pad2(rng.int(0, 59))}'`;
}

function money(rng: Rng): string {
  return (rng.int(100, 60000) / 100).toFixed(4);
}

const TABLES: Table[] = [
  {
    name: 'customer_entity',
    share: 0.15,
    create: `CREATE TABLE \`customer_entity\` (
  \`entity_id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
  \`website_id\` smallint(5) unsigned DEFAULT NULL,
  \`email\` varchar(255) DEFAULT NULL,
  \`group_id\` smallint(5) unsigned NOT NULL DEFAULT 0,
  \`created_at\` timestamp NOT NULL DEFAULT current_timestamp(),
  \`updated_at\` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
  \`is_active\` smallint(5) unsigned NOT NULL DEFAULT 1,
  \`firstname\` varchar(255) DEFAULT NULL,
  \`lastname\` varchar(255) DEFAULT NULL,
  \`dob\` date DEFAULT NULL,
  \`password_hash\` varchar(128) DEFAULT NULL,
  \`gender\` int(10) unsigned DEFAULT NULL,
  PRIMARY KEY (\`entity_id\`),
  UNIQUE KEY \`CUSTOMER_ENTITY_EMAIL_WEBSITE_ID\` (\`email\`,\`website_id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;`,
    row(rng, id) {
      const first = rng.pick(FIRST);
      const last = rng.pick(LAST);
      const hash = rng.u32().toString(16).padStart(8, '0') + rng.u32().toString(16).padStart(8, '0') + rng.u32().toString(16).padStart(8, '0');
      return `(${id},1,${q(`${first.toLowerCase()}.${last.toLowerCase()}${id}@${rng.pick(DOMAINS)}`)},${rng.int(1, 3)},${datetime(rng)},${datetime(rng)},1,${q(first)},${q(last)},'19${rng.int(50, 99)}-0${rng.int(1, 9)}-1${rng.int(0, 9)}',${q(`${hash}:3:1`)},${rng.int(0, 2)})`;
    },
  },
  {
    name: 'sales_order',
    share: 0.3,
    create: `CREATE TABLE \`sales_order\` (
  \`entity_id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
  \`state\` varchar(32) DEFAULT NULL,
  \`status\` varchar(32) DEFAULT NULL,
  \`increment_id\` varchar(32) DEFAULT NULL,
  \`customer_id\` int(10) unsigned DEFAULT NULL,
  \`grand_total\` decimal(20,4) DEFAULT NULL,
  \`subtotal\` decimal(20,4) DEFAULT NULL,
  \`tax_amount\` decimal(20,4) DEFAULT NULL,
  \`shipping_amount\` decimal(20,4) DEFAULT NULL,
  \`order_currency_code\` varchar(3) DEFAULT NULL,
  \`customer_email\` varchar(128) DEFAULT NULL,
  \`shipping_method\` varchar(120) DEFAULT NULL,
  \`remote_ip\` varchar(45) DEFAULT NULL,
  \`created_at\` timestamp NOT NULL DEFAULT current_timestamp(),
  PRIMARY KEY (\`entity_id\`),
  UNIQUE KEY \`SALES_ORDER_INCREMENT_ID_STORE_ID\` (\`increment_id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;`,
    row(rng, id) {
      const status = rng.pick(STATUSES);
      return `(${id},${q(status)},${q(status)},${q(String(100000000 + id))},${rng.int(1, 200000)},${money(rng)},${money(rng)},${money(rng)},${(rng.int(0, 1500) / 100).toFixed(4)},'EUR',${q(`${rng.pick(FIRST).toLowerCase()}${rng.int(1, 99999)}@${rng.pick(DOMAINS)}`)},${q(rng.pick(SHIPPING))},${q(ip(rng))},${datetime(rng)})`;
    },
  },
  {
    name: 'sales_order_item',
    share: 0.35,
    create: `CREATE TABLE \`sales_order_item\` (
  \`item_id\` int(10) unsigned NOT NULL AUTO_INCREMENT,
  \`order_id\` int(10) unsigned NOT NULL DEFAULT 0,
  \`product_id\` int(10) unsigned DEFAULT NULL,
  \`product_type\` varchar(255) DEFAULT NULL,
  \`sku\` varchar(255) DEFAULT NULL,
  \`name\` varchar(255) DEFAULT NULL,
  \`qty_ordered\` decimal(12,4) DEFAULT 0.0000,
  \`price\` decimal(20,4) NOT NULL DEFAULT 0.0000,
  \`row_total\` decimal(20,4) NOT NULL DEFAULT 0.0000,
  \`created_at\` timestamp NOT NULL DEFAULT current_timestamp(),
  PRIMARY KEY (\`item_id\`),
  KEY \`SALES_ORDER_ITEM_ORDER_ID\` (\`order_id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;`,
    row(rng, id) {
      const name = `${rng.pick(COLORS)} ${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
      return `(${id},${Math.ceil(id / 3)},${rng.int(1, 40000)},${q(rng.chance(0.8) ? 'simple' : 'configurable')},${q(sku(rng))},${q(name)},${rng.int(1, 5)}.0000,${money(rng)},${money(rng)},${datetime(rng)})`;
    },
  },
  {
    name: 'catalog_product_entity_varchar',
    share: 0.2,
    create: `CREATE TABLE \`catalog_product_entity_varchar\` (
  \`value_id\` int(11) NOT NULL AUTO_INCREMENT,
  \`attribute_id\` smallint(5) unsigned NOT NULL DEFAULT 0,
  \`store_id\` smallint(5) unsigned NOT NULL DEFAULT 0,
  \`entity_id\` int(10) unsigned NOT NULL DEFAULT 0,
  \`value\` varchar(255) DEFAULT NULL,
  PRIMARY KEY (\`value_id\`),
  UNIQUE KEY \`CATALOG_PRODUCT_ENTITY_VARCHAR_ENTITY_ID_ATTRIBUTE_ID_STORE_ID\` (\`entity_id\`,\`attribute_id\`,\`store_id\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;`,
    row(rng, id) {
      const value = rng.chance(0.5)
        ? `/${rng.pick(WORDS)[0]}/${rng.pick(WORDS)[0]}/${rng.pick(WORDS)}-${rng.pick(COLORS)}-${rng.int(1, 9999)}.jpg`
        : `${rng.pick(WORDS)}-${rng.pick(WORDS)}-${rng.pick(COLORS)}-${id}`;
      return `(${id},${rng.int(70, 140)},${rng.int(0, 3)},${Math.ceil(id / 4)},${q(value)})`;
    },
  },
];

export const SQL_HEADER = `-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: localhost    Database: shop
-- ------------------------------------------------------
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
`;

const STATEMENT_BYTES = 512 * 1024;

/** One extended INSERT statement (about `bytes` long, ending in a newline) for a table, ids from `firstId`. */
export function insertStatement(rng: Rng, tableIndex: number, firstId: number, bytes: number): { text: string; rows: number } {
  const table = TABLES[tableIndex % TABLES.length];
  const rows: string[] = [];
  let length = 0;
  while (length < bytes) {
    const row = table.row(rng, firstId + rows.length);
    rows.push(row);
    length += row.length + 1;
  }
  return { text: `INSERT INTO \`${table.name}\` VALUES ${rows.join(',')};\n`, rows: rows.length };
}

/** The dump as a sequence of text pieces (each up to ~0.5 MiB) totalling about `bytes`. */
export function* sqlDump(rng: Rng, bytes: number): Generator<string> {
  yield SQL_HEADER;
  for (let t = 0; t < TABLES.length; t++) {
    const table = TABLES[t];
    yield `\n--\n-- Table structure for table \`${table.name}\`\n--\n\nDROP TABLE IF EXISTS \`${table.name}\`;\n${table.create}\n\n--\n-- Dumping data for table \`${table.name}\`\n--\n\nLOCK TABLES \`${table.name}\` WRITE;\n/*!40000 ALTER TABLE \`${table.name}\` DISABLE KEYS */;\n`;
    let written = 0;
    let id = 1;
    const share = bytes * table.share;
    while (written < share) {
      const statement = insertStatement(rng, t, id, Math.min(STATEMENT_BYTES, share - written));
      id += statement.rows;
      written += statement.text.length;
      yield statement.text;
    }
    yield `/*!40000 ALTER TABLE \`${table.name}\` ENABLE KEYS */;\nUNLOCK TABLES;\n`;
  }
  yield '/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n\n-- Dump completed\n';
}
