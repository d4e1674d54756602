/**
 * `npm run demo`: the main job of envsnap end to end, through the real CLI in child processes, on
 * embedded defaults: a local repository and a demo environment that needs no server.
 *
 * In `demo/` at the project root (wiped and recreated on every run) it generates a small,
 * deterministic Magento-shaped shop (`demo/shop/`: app/etc, pub/media, var, and an SQLite database
 * standing in for MySQL) and a project file `demo/envsnap.yaml` with two environments, production
 * and staging. Then: init; a consistent snapshot of production (maintenance flag on, then off again);
 * changes to files and database; a live snapshot; list, info, diff; restore of the first snapshot
 * into staging (like Platform.sh's restore to another environment) and of the second in place after
 * damaging production; each restore is verified byte for byte (files with mode, mtime, symlinks;
 * every table's rows); check --read-data. Ends with "demo OK", or exits non-zero naming what differed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync, utimesSync, appendFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'envsnap.js');
const DEMO = join(ROOT, 'demo');
const SHOP = join(DEMO, 'shop');
const STAGING = join(DEMO, 'staging');
const REPO = join(DEMO, 'repo');
const CONFIG = join(DEMO, 'envsnap.yaml');
const SHOP_DB = join(SHOP, 'db', 'shop.sqlite');
const STAGING_DB = join(STAGING, 'db', 'shop.sqlite');
const FLAG = join(SHOP, 'var', '.maintenance.flag');
const PASSWORD = 'demo-password';

// ---------------------------------------------------------------------------------------------------
// Output and failure

class DemoFailure extends Error {}

function fail(message: string): never {
  throw new DemoFailure(message);
}

function heading(text: string): void {
  process.stdout.write(`\n== ${text}\n`);
}

function indent(text: string): string {
  return text
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => (l.trim() === '' ? '' : `   ${l}`))
    .join('\n');
}

/** A path as shown to the reader: relative to the project root. */
function shown(p: string): string {
  return relative(ROOT, p) || '.';
}

// ---------------------------------------------------------------------------------------------------
// Running the CLI

interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `envsnap <args>` (this Node, the CLI's source entry point) with the demo password in its
 * environment, prints the command and its output, and fails the demo on an unexpected exit code.
 * `display` replaces absolute paths in the printed command with project-relative ones.
 */
function envsnap(args: string[], opts: { cwd?: string; expect?: number[]; quiet?: boolean } = {}): RunResult {
  const cwd = opts.cwd ?? ROOT;
  const env: NodeJS.ProcessEnv = { ...process.env, ENVSNAP_PASSWORD: PASSWORD };
  delete env.ENVSNAP_REPO;
  delete env.ENVSNAP_NEW_PASSWORD;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) fail(`could not start envsnap: ${r.error.message}`);
  const status = r.status ?? 1;
  if (!opts.quiet) {
    const display = args.map((a) => (a.startsWith(DEMO) ? shown(a) : /[\s*?]/.test(a) ? `'${a}'` : a)).join(' ');
    process.stdout.write(`$ ${cwd === ROOT ? '' : `(cd ${shown(cwd)} && `}envsnap ${display}${cwd === ROOT ? '' : ')'}\n`);
    if (r.stdout.trim()) process.stdout.write(`${indent(r.stdout)}\n`);
    if (r.stderr.trim()) process.stdout.write(`${indent(r.stderr)}\n`);
    process.stdout.write(`   [exit ${status}]\n`);
  }
  const expect = opts.expect ?? [0];
  if (!expect.includes(status)) {
    fail(`"envsnap ${args.join(' ')}" exited with ${status} (expected ${expect.join(' or ')})${opts.quiet ? `:\n${r.stdout}${r.stderr}` : ''}`);
  }
  return { status, stdout: r.stdout, stderr: r.stderr };
}


function snapshotIdFrom(out: RunResult): string {
  const m = /snapshot ([0-9a-f]{8}) (?:of \S+ )?saved/.exec(out.stdout);
  if (!m) fail(`snapshot:create printed no "snapshot <id> saved" line:\n${out.stdout}${out.stderr}`);
  return m[1];
}

// ---------------------------------------------------------------------------------------------------
// A deterministic shop-like tree

/** xorshift128: small, fast and the same sequence on every machine for a given seed. */
class Prng {
  private x: number;
  private y = 362436069;
  private z = 521288629;
  private w = 88675123;
  constructor(seed: number) {
    this.x = seed >>> 0 || 123456789;
    for (let i = 0; i < 16; i++) this.next();
  }
  next(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.w;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[this.next() % items.length];
  }
  /** `n` bytes that do not compress, behind a JPEG-like header. */
  image(n: number): Buffer {
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) words[i] = this.next();
    const buf = Buffer.from(words.buffer, 0, n);
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]).copy(buf, 0, 0, Math.min(11, n));
    return buf;
  }
}

/** A fixed point in time for generated files, so the tree's metadata is deterministic too. */
const EPOCH = Date.UTC(2025, 0, 15, 9, 30, 0) / 1000;

const ENV_PHP = `<?php
return [
    'backend' => ['frontName' => 'admin_demo'],
    'crypt' => ['key' => 'base64demo0000000000000000000000000000000000000='],
    'db' => [
        'table_prefix' => '',
        'connection' => [
            'default' => [
                'host' => '127.0.0.1',
                'dbname' => 'shop',
                'username' => 'shop',
                'password' => 'demo-db-secret',
                'model' => 'mysql4',
                'engine' => 'innodb',
                'initStatements' => 'SET NAMES utf8;',
                'active' => '1',
            ],
        ],
    ],
    'resource' => ['default_setup' => ['connection' => 'default']],
    'x-frame-options' => 'SAMEORIGIN',
    'MAGE_MODE' => 'production',
    'session' => ['save' => 'redis', 'redis' => ['host' => '127.0.0.1', 'port' => '6379', 'database' => '2']],
    'cache' => [
        'frontend' => [
            'default' => ['backend' => 'Magento\\\\Framework\\\\Cache\\\\Backend\\\\Redis', 'backend_options' => ['server' => '127.0.0.1', 'database' => '0']],
            'page_cache' => ['backend' => 'Magento\\\\Framework\\\\Cache\\\\Backend\\\\Redis', 'backend_options' => ['server' => '127.0.0.1', 'database' => '1']],
        ],
    ],
    'install' => ['date' => 'Wed, 15 Jan 2025 09:30:00 +0000'],
];
`;

const MODULES = ['Magento_Store', 'Magento_Directory', 'Magento_Theme', 'Magento_Eav', 'Magento_Customer', 'Magento_Catalog', 'Magento_CatalogInventory', 'Magento_Quote', 'Magento_Sales', 'Magento_Checkout', 'Magento_Cms', 'Magento_Search'];

function configPhp(): string {
  return `<?php\nreturn [\n    'modules' => [\n${MODULES.map((m) => `        '${m}' => 1,`).join('\n')}\n    ],\n];\n`;
}

const LOG_MESSAGES = [
  'main.INFO: Cron Job indexer_reindex_all_invalid is successfully finished',
  'main.INFO: Cron Job catalog_product_outdated_price_values_cleanup is run',
  'main.DEBUG: cache_invalidate: {"method":"POST","url":"http://shop.example/rest/V1/products","invalidateInfo":{"tags":["cat_p"]}}',
  'main.WARNING: Could not find image for product',
  'main.ERROR: Exception: Item (Magento\\Quote\\Model\\Quote\\Item) with the same ID already exists',
  'main.INFO: Order placed',
  'main.CRITICAL: SQLSTATE[HY000] [2002] Connection refused',
];

function logText(rng: Prng, lines: number, startSecond: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const t = new Date((startSecond + i * 7) * 1000).toISOString().replace('Z', '+00:00');
    out.push(`[${t}] ${rng.pick(LOG_MESSAGES)} {"sku":"SKU-${String(rng.int(1, 99999)).padStart(5, '0')}","store":${rng.int(0, 3)}} []`);
  }
  return `${out.join('\n')}\n`;
}

function writeAt(path: string, data: string | Buffer, mtime: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  utimesSync(path, mtime, mtime);
}

/** Product image path the way Magento stores them: catalog/product/<c1>/<c2>/<name>. */
function productPath(name: string): string {
  return join('pub', 'media', 'catalog', 'product', name[0], name[1], name);
}

function generateShop(): void {
  const rng = new Prng(20250115);
  let t = EPOCH;
  writeAt(join(SHOP, 'app', 'etc', 'env.php'), ENV_PHP, t++);
  writeAt(join(SHOP, 'app', 'etc', 'config.php'), configPhp(), t++);

  const names = ['blue-jacket', 'red-shoes', 'wool-scarf', 'leather-bag', 'sun-hat', 'denim-jeans', 'silk-tie', 'rain-coat', 'yoga-mat', 'tea-cup', 'desk-lamp', 'wall-clock', 'garden-chair', 'phone-case', 'water-bottle', 'backpack'];
  const images: string[] = [];
  for (const n of names) {
    const rel = productPath(`${n}.jpg`);
    writeAt(join(SHOP, rel), rng.image(rng.int(16 * 1024, 320 * 1024)), t++);
    images.push(rel);
  }
  // One image above the chunker's minimum size, so it is cut into content-defined chunks.
  writeAt(join(SHOP, productPath('hero-banner.jpg')), rng.image(1792 * 1024), t++);
  // Resized copies in the image cache: the same bytes again, stored once by deduplication.
  for (const rel of images.slice(0, 3)) {
    const base = rel.split('/').at(-1) as string;
    writeAt(join(SHOP, 'pub', 'media', 'catalog', 'product', 'cache', '1f2e3d4c', base[0], base[1], base), readFileSync(join(SHOP, rel)), t++);
  }
  // A placeholder that is a symlink to a product image, as some themes ship them.
  symlinkSync('catalog/product/b/l/blue-jacket.jpg', join(SHOP, 'pub', 'media', 'placeholder.jpg'));

  writeAt(join(SHOP, 'var', 'log', 'system.log'), logText(rng, 1500, EPOCH - 86400), t++);
  writeAt(join(SHOP, 'var', 'log', 'exception.log'), logText(rng, 300, EPOCH - 86400), t++);
  writeAt(join(SHOP, 'var', 'log', 'debug.log'), logText(rng, 2500, EPOCH - 86400), t++);
  mkdirSync(join(SHOP, 'var', 'cache'), { recursive: true });

  // Directories last, deepest first, so their times are not disturbed by their contents afterwards.
  const dirs: string[] = [];
  const collect = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) collect(join(d, e.name));
    dirs.push(d);
  };
  collect(SHOP);
  for (const d of dirs) utimesSync(d, EPOCH, EPOCH);
}

/** The change between the two snapshots: a log grows, an image is added, one is deleted. */
function changeShop(): { edited: string; added: string; deleted: string } {
  const rng = new Prng(20250116);
  const edited = 'var/log/system.log';
  appendFileSync(join(SHOP, edited), logText(rng, 200, EPOCH + 3600));
  const added = productPath('night-lamp.jpg');
  writeAt(join(SHOP, added), rng.image(210 * 1024), EPOCH + 3600);
  const deleted = productPath('sun-hat.jpg');
  unlinkSync(join(SHOP, deleted));
  return { edited, added, deleted };
}

// ---------------------------------------------------------------------------------------------------
// Manifests: what a tree holds, path by path

type Manifest = Map<string, string>;

/**
 * Every path under `root` (not root itself) → a description that must match exactly after a restore:
 * files: size, sha256, permission bits, mtime (ms); directories: permission bits, mtime (ms);
 * symlinks: their target.
 */
function manifestOf(root: string): Manifest {
  const out: Manifest = new Map();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const rel = relative(root, abs).split('\\').join('/');
      const st = lstatSync(abs);
      const mode = (st.mode & 0o7777).toString(8);
      const mtime = Math.round(st.mtimeMs);
      if (st.isSymbolicLink()) {
        out.set(rel, `symlink -> ${readlinkSync(abs)}`);
      } else if (st.isDirectory()) {
        out.set(rel, `dir mode=${mode} mtime=${mtime}`);
        walk(abs);
      } else if (st.isFile()) {
        const sha = createHash('sha256').update(readFileSync(abs)).digest('hex');
        out.set(rel, `file size=${st.size} sha256=${sha} mode=${mode} mtime=${mtime}`);
      } else {
        out.set(rel, 'other');
      }
    }
  };
  walk(root);
  return out;
}

function totals(m: Manifest): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const v of m.values()) {
    const s = /^file size=(\d+)/.exec(v);
    if (s) {
      files++;
      bytes += Number(s[1]);
    }
  }
  return { files, bytes };
}

/** Differences between what was captured and what was restored, one line each. */
function compare(want: Manifest, got: Manifest): string[] {
  const diffs: string[] = [];
  for (const [p, w] of want) {
    const g = got.get(p);
    if (g === undefined) diffs.push(`missing   ${p} (want ${w})`);
    else if (g !== w) diffs.push(`different ${p}\n      want ${w}\n      got  ${g}`);
  }
  for (const [p, g] of got) if (!want.has(p)) diffs.push(`extra     ${p} (${g})`);
  return diffs;
}


function duSize(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += lstatSync(join(e.parentPath, e.name)).size;
  }
  return n;
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

// ---------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------
// The database (SQLite, standing in for MySQL so the demo needs no server) and the project file

function createDatabase(rng: Prng): void {
  mkdirSync(dirname(SHOP_DB), { recursive: true });
  const db = new DatabaseSync(SHOP_DB);
  db.exec(`PRAGMA journal_mode = WAL;
    CREATE TABLE catalog_product_entity (entity_id INTEGER PRIMARY KEY, sku TEXT UNIQUE NOT NULL, name TEXT NOT NULL, price NUMERIC NOT NULL, image TEXT);
    CREATE TABLE sales_order (entity_id INTEGER PRIMARY KEY, increment_id TEXT UNIQUE NOT NULL, customer_email TEXT, grand_total NUMERIC, created_at TEXT);
    CREATE TABLE sales_order_item (item_id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES sales_order(entity_id), sku TEXT NOT NULL, qty INTEGER NOT NULL, price NUMERIC NOT NULL);`);
  const product = db.prepare('INSERT INTO catalog_product_entity (sku, name, price, image) VALUES (?, ?, ?, ?)');
  for (let i = 1; i <= 2000; i++) product.run(`SKU-${String(i).padStart(5, '0')}`, `Product ${i} ${rng.pick(['blue', 'red', 'wool', 'silk'])}`, rng.int(199, 99999) / 100, `catalog/product/p${i}.jpg`);
  addOrders(db, rng, 1, 3000);
  db.close();
}

function addOrders(db: DatabaseSync, rng: Prng, from: number, count: number): void {
  const order = db.prepare('INSERT INTO sales_order (entity_id, increment_id, customer_email, grand_total, created_at) VALUES (?, ?, ?, ?, ?)');
  const item = db.prepare('INSERT INTO sales_order_item (order_id, sku, qty, price) VALUES (?, ?, ?, ?)');
  db.exec('BEGIN');
  for (let i = from; i < from + count; i++) {
    order.run(i, `0000${String(i).padStart(5, '0')}`, `customer${rng.int(1, 800)}@example.com`, rng.int(500, 250000) / 100, new Date((EPOCH + i * 60) * 1000).toISOString());
    for (let k = rng.int(1, 4); k > 0; k--) item.run(i, `SKU-${String(rng.int(1, 2000)).padStart(5, '0')}`, rng.int(1, 5), rng.int(199, 99999) / 100);
  }
  db.exec('COMMIT');
}

/** Every table's rows in key order, hashed: equal fingerprints mean equal data. */
function dbFingerprint(path: string): { sha: string; rows: number } {
  const db = new DatabaseSync(path, { readOnly: true });
  const h = createHash('sha256');
  let rows = 0;
  for (const t of ['catalog_product_entity', 'sales_order', 'sales_order_item']) {
    for (const r of db.prepare(`SELECT * FROM ${t} ORDER BY 1`).all()) {
      h.update(`${t} ${JSON.stringify(r)}\n`);
      rows++;
    }
  }
  db.close();
  return { sha: h.digest('hex'), rows };
}

function writeProject(): void {
  const env = (root: string, type: string) => `    type: ${type}
    plan: starter
    root: ${root}
    mounts: [var, pub/media, app/etc]
    exclude: [var/cache/**, var/session/**]
    database: { type: sqlite, path: db/shop.sqlite }
    maintenance: { flag: var/.maintenance.flag }
`;
  writeFileSync(
    CONFIG,
    `# The demo project: two environments of one shop, one repository.
project: demo
repository: repo
environments:
  production:
${env('shop', 'production')}  staging:
${env('staging', 'staging')}`,
  );
  // A provisioned, still empty staging environment: its database folder and var/ exist.
  mkdirSync(join(STAGING, 'db'), { recursive: true });
  mkdirSync(join(STAGING, 'var'), { recursive: true });
}

/** The mounts part of a tree manifest (var, pub/media, app/etc), as a snapshot captures it. */
function mountsOf(m: Manifest, opts: { withoutEnvPhp?: boolean } = {}): Manifest {
  const out: Manifest = new Map();
  for (const [p, v] of m) {
    const inMount = ['var', 'pub/media', 'app/etc'].some((x) => p === x || p.startsWith(`${x}/`));
    if (!inMount || p.startsWith('var/cache/') || p === 'var/.maintenance.flag') continue;
    if (opts.withoutEnvPhp && p === 'app/etc/env.php') continue;
    // var/ holds the maintenance flag: switching maintenance mode on and off changes var's own mtime.
    out.set(p, p === 'var' ? v.replace(/ mtime=\d+/, '') : v);
  }
  return out;
}

/** Compares only the mounts, and not the directories above them (pub), whose times a restore may set. */
function verifyMounts(label: string, dir: string, want: Manifest, opts: { withoutEnvPhp?: boolean } = {}): void {
  const got = mountsOf(manifestOf(dir), opts);
  const diffs = compare(mountsOf(want, opts), got);
  if (diffs.length > 0) fail(`${label}: the mounts in ${shown(dir)} differ from the snapshot:\n   ${diffs.join('\n   ')}`);
  const t = totals(got);
  process.stdout.write(`${label}: mounts in ${shown(dir)} match: ${got.size} paths, ${t.files} files, ${t.bytes} bytes, all sha256, modes and mtimes equal${opts.withoutEnvPhp ? ' (its own app/etc/env.php kept)' : ''}\n`);
}

function verifyDatabase(label: string, path: string, want: { sha: string; rows: number }): void {
  const got = dbFingerprint(path);
  if (got.sha !== want.sha) fail(`${label}: the database ${shown(path)} differs from the snapshot (${got.rows} rows, want ${want.rows})`);
  process.stdout.write(`${label}: database ${shown(path)} matches: ${got.rows} rows in 3 tables, same content\n`);
}

// ---------------------------------------------------------------------------------------------------

function main(): void {
  process.stdout.write(`envsnap demo (Node ${process.version})\n`);

  heading(`1. generate a Magento-shaped shop in ${shown(SHOP)} and the project file ${shown(CONFIG)}`);
  rmSync(DEMO, { recursive: true, force: true });
  mkdirSync(DEMO, { recursive: true });
  generateShop();
  createDatabase(new Prng(7));
  writeProject();
  const before = manifestOf(SHOP);
  const dbBefore = dbFingerprint(SHOP_DB);
  const t1 = totals(mountsOf(before));
  process.stdout.write(`mounts: ${t1.files} files, ${mib(t1.bytes)} (app/etc config, pub/media product images, var/log logs); database: ${dbBefore.rows} rows (SQLite)\n`);
  process.stdout.write(readFileSync(CONFIG, 'utf8'));

  heading('2. create the repository named in envsnap.yaml');
  process.stdout.write(`(every command runs in ${shown(DEMO)} with ENVSNAP_PASSWORD=${PASSWORD} in its environment)\n`);
  envsnap(['init'], { cwd: DEMO });
  envsnap(['env:list'], { cwd: DEMO });

  heading('3. consistent snapshot of production: maintenance mode only while the database point is taken and the mounts are read');
  const first = snapshotIdFrom(envsnap(['-e', 'production', 'snapshot:create', '--tag', 'before-change'], { cwd: DEMO }));
  if (lstatSync(FLAG, { throwIfNoEntry: false })) fail('the maintenance flag is still there after the snapshot');
  process.stdout.write('maintenance flag removed again: ok\n');

  heading('4. the shop changes: new orders, a price change, a new image, a deleted image, a longer log');
  const changes = changeShop();
  {
    const db = new DatabaseSync(SHOP_DB);
    addOrders(db, new Prng(8), 3001, 250);
    db.exec("UPDATE catalog_product_entity SET price = price * 0.9 WHERE sku LIKE 'SKU-001%'");
    db.close();
  }
  process.stdout.write(`appended 200 lines to ${changes.edited}\nadded ${changes.added}\ndeleted ${changes.deleted}\n250 orders added, 10% off 110 products\n`);
  const after = manifestOf(SHOP);
  const dbAfter = dbFingerprint(SHOP_DB);

  heading('5. live snapshot (no maintenance mode): unchanged files are not read again, known chunks not stored again');
  const second = snapshotIdFrom(envsnap(['-e', 'production', 'snapshot:create', '--live', '--tag', 'after-change'], { cwd: DEMO }));
  if (second === first) fail('the two snapshots have the same id');

  heading('6. list, inspect and compare');
  const list = envsnap(['snapshot:list'], { cwd: DEMO });
  for (const id of [first, second]) if (!list.stdout.includes(id)) fail(`snapshot:list does not show snapshot ${id}`);
  envsnap(['snapshot:info', second], { cwd: DEMO });
  const diff = envsnap(['snapshot:diff', first, second], { cwd: DEMO });
  for (const want of [`+  files/${changes.added}`, `-  files/${changes.deleted}`, `M  files/${changes.edited}`, 'M  sqlite/default/database.sqlite']) {
    if (!diff.stdout.split('\n').includes(want)) fail(`snapshot:diff does not list "${want}"`);
  }

  heading('7. restore the first snapshot into staging (another environment)');
  envsnap(['snapshot:restore', first, '--target', 'staging', '--yes'], { cwd: DEMO });
  verifyMounts(`snapshot ${first} in staging`, STAGING, before, { withoutEnvPhp: true });
  verifyDatabase(`snapshot ${first} in staging`, STAGING_DB, dbBefore);

  heading('8. damage production, then restore the second snapshot in place');
  {
    const db = new DatabaseSync(SHOP_DB);
    db.exec('DELETE FROM sales_order_item; DELETE FROM sales_order;');
    db.close();
  }
  unlinkSync(join(SHOP, changes.added));
  process.stdout.write(`deleted every order and ${changes.added}\n`);
  envsnap(['snapshot:restore', second, '--yes'], { cwd: DEMO });
  verifyMounts(`snapshot ${second} in production`, SHOP, after);
  verifyDatabase(`snapshot ${second} in production`, SHOP_DB, dbAfter);
  if (lstatSync(FLAG, { throwIfNoEntry: false })) fail('the maintenance flag is still there after the restore');

  heading('9. check the repository, reading every pack');
  envsnap(['check', '--read-data'], { cwd: DEMO });

  const repoBytes = duSize(REPO);
  heading('summary');
  process.stdout.write(
    `two environment snapshots (files ${mib(t1.bytes)} + database) take ${mib(repoBytes)} in ${shown(REPO)} (deduplicated, compressed, encrypted)\n`,
  );
  process.stdout.write('demo OK\n');
}

try {
  main();
} catch (err) {
  if (err instanceof DemoFailure) {
    process.stderr.write(`\ndemo FAILED: ${err.message}\n`);
  } else {
    process.stderr.write(`\ndemo FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exitCode = 1;
}
