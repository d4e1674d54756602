/**
 * `npm run demo`: the main job of envsnap end to end, through the real CLI in child processes.
 *
 * In `demo/` at the project root (wiped and recreated on every run) it generates a small, deterministic
 * shop-like tree (`demo/shop/`), creates an encrypted repository (`demo/repo`), takes a snapshot,
 * changes the tree (edits a log, adds an image, deletes one), takes a second snapshot, lists, inspects
 * and compares them (`snapshot:diff`, when the CLI has it), restores each into its own directory and checks that every restored path is byte-identical to the
 * tree as it was when that snapshot was taken (plus type, permission bits, modification time and
 * symlink targets). When the CLI has a `check` command with `--read-data`, it runs that too.
 * Prints every command with its output and ends with "demo OK", or exits non-zero naming what differed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync, utimesSync, appendFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'src', 'cli', 'main.ts');
const DEMO = join(ROOT, 'demo');
const SHOP = join(DEMO, 'shop');
const REPO = join(DEMO, 'repo');
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

/** Whether this envsnap has `command` (and `flag`, when given): an unknown command's --help prints the general help instead. */
function hasCommand(command: string, flag?: string): boolean {
  const help = envsnap([command, '--help'], { quiet: true, expect: [0, 1] });
  return help.status === 0 && help.stdout.startsWith(`Usage: envsnap ${command} `) && (flag === undefined || help.stdout.includes(flag));
}

function snapshotIdFrom(out: RunResult): string {
  const m = /snapshot ([0-9a-f]{8}) saved/.exec(out.stdout);
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

function verifyRestore(label: string, dir: string, want: Manifest): void {
  const diffs = compare(want, manifestOf(dir));
  if (diffs.length > 0) fail(`${label}: ${shown(dir)} differs from the tree at that snapshot:\n   ${diffs.join('\n   ')}`);
  const t = totals(want);
  process.stdout.write(`${label}: ${shown(dir)} matches the tree at that snapshot: ${want.size} paths, ${t.files} files, ${t.bytes} bytes, all sha256 equal\n`);
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

function main(): void {
  process.stdout.write(`envsnap demo (Node ${process.version})\n`);

  heading(`1. generate a shop-like tree in ${shown(SHOP)}`);
  rmSync(DEMO, { recursive: true, force: true });
  mkdirSync(DEMO, { recursive: true });
  generateShop();
  const before = manifestOf(SHOP);
  const t1 = totals(before);
  process.stdout.write(`${before.size} paths, ${t1.files} files, ${mib(t1.bytes)} (app/etc config, pub/media product images, var/log logs, empty var/cache, a symlink)\n`);

  heading('2. create the repository');
  process.stdout.write(`(every command runs with ENVSNAP_PASSWORD=${PASSWORD} in its environment)\n`);
  envsnap(['init', '--repo', REPO]);

  heading('3. first snapshot of the whole tree');
  const first = snapshotIdFrom(envsnap(['snapshot:create', '--repo', REPO, '--tag', 'before-change'], { cwd: SHOP }));

  heading('4. change the tree');
  const changes = changeShop();
  process.stdout.write(`appended 200 lines to ${changes.edited}\nadded ${changes.added}\ndeleted ${changes.deleted}\n`);
  const after = manifestOf(SHOP);

  heading('5. second snapshot: unchanged files are not read again, known chunks not stored again');
  const second = snapshotIdFrom(envsnap(['snapshot:create', '--repo', REPO, '--tag', 'after-change'], { cwd: SHOP }));
  if (second === first) fail('the two snapshots have the same id');

  heading('6. list, inspect and compare');
  const list = envsnap(['snapshot:list', '--repo', REPO]);
  for (const id of [first, second]) if (!list.stdout.includes(id)) fail(`snapshot:list does not show snapshot ${id}`);
  envsnap(['snapshot:info', '--repo', REPO, second]);
  if (hasCommand('snapshot:diff')) {
    const diff = envsnap(['snapshot:diff', '--repo', REPO, first, second]);
    for (const want of [`+  ${changes.added}`, `-  ${changes.deleted}`, `M  ${changes.edited}`]) {
      if (!diff.stdout.split('\n').includes(want)) fail(`snapshot:diff does not list "${want}"`);
    }
  }

  heading('7. restore each snapshot into its own directory');
  const restore1 = join(DEMO, 'restore-1');
  const restore2 = join(DEMO, 'restore-2');
  envsnap(['snapshot:restore', '--repo', REPO, first, '--target', restore1]);
  envsnap(['snapshot:restore', '--repo', REPO, second, '--target', restore2]);

  heading('8. verify the restores against the manifests taken before and after the change');
  verifyRestore(`snapshot ${first}`, restore1, before);
  verifyRestore(`snapshot ${second}`, restore2, after);

  heading('9. check the repository');
  if (hasCommand('check', '--read-data')) {
    envsnap(['check', '--repo', REPO, '--read-data']);
  } else {
    process.stdout.write('(this envsnap has no "check --read-data" command yet: skipped)\n');
  }

  const repoBytes = duSize(REPO);
  const t2 = totals(after);
  heading('summary');
  process.stdout.write(
    `two snapshots of ${mib(t1.bytes)} and ${mib(t2.bytes)} of files take ${mib(repoBytes)} in ${shown(REPO)} (deduplicated, compressed, encrypted)\n`,
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
