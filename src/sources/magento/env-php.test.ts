import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isEnvsnapError } from '../../core/errors.ts';
import { parseEnvPhp, PhpUnresolved } from './env-php.ts';

const ENV_PHP = readFileSync(new URL('./testdata/env.php', import.meta.url), 'utf8');
const php = (body: string) => parseEnvPhp(`<?php\nreturn ${body};\n`, '/shop/app/etc/env.php');
const first = (expr: string) => (php(`[${expr}]`) as unknown[])[0];

describe('parseEnvPhp on a Magento 2.4 env.php', () => {
  const env = parseEnvPhp(ENV_PHP, 'env.php') as any;

  it('reads nested settings', () => {
    assert.equal(env.backend.frontName, 'admin_1x9k2');
    assert.equal(env.MAGE_MODE, 'production');
    assert.equal(env.crypt.key, 'base64Kx2bL0v9nQwR5tYzA3cD7eF1gH4jK6mN');
    assert.deepEqual(Object.keys(env.db.connection), ['default', 'checkout', 'sales']);
    assert.equal(env.db.connection.default.host, '10.0.0.5:3307');
    assert.equal(env.db.connection.sales.dbname, 'magento_sales');
    assert.equal(env.session.save, 'redis');
    assert.equal(env.session.redis.database, '2');
    assert.equal(env.cache.frontend.default.backend_options.password, 'cache-pw');
  });

  it('applies each quote style’s escape rules', () => {
    assert.equal(env.db.connection.default.password, 'S3cr\'et"pa$$');
    assert.equal(env.db.connection.checkout.password, 'quote\tpwA');
    assert.equal(env.cache.frontend.default.backend, 'Magento\\Framework\\Cache\\Backend\\Redis');
  });

  it('evaluates ::class to the class name, ints, negative numbers and booleans', () => {
    assert.equal(env.cache.frontend.page_cache.backend, 'Magento\\Framework\\Cache\\Backend\\Redis');
    assert.equal(env.cache.frontend.page_cache.backend_options.port, 6380);
    assert.equal(env.cron_consumers_runner.max_messages, -1);
    assert.equal(env.cron_consumers_runner.cron_run, false);
    assert.equal(env.directories.document_root_is_pub, true);
  });

  it('maps lists to arrays and int-keyed maps to objects', () => {
    assert.deepEqual(env.downloadable_domains, ['shop.example.com']);
    assert.deepEqual(env.cron_consumers_runner.consumers, []);
    assert.deepEqual(env.db.connection.default.driver_options, { 1014: false });
  });
});

describe('parseEnvPhp values', () => {
  it('single-quoted strings keep backslashes except \\\\ and \\\'', () => {
    assert.equal(first(String.raw`'a\nb'`), 'a\\nb');
    assert.equal(first(String.raw`'it\'s'`), "it's");
    assert.equal(first(String.raw`'C:\\dir'`), 'C:\\dir');
    assert.equal(first(String.raw`'$x'`), '$x');
  });

  it('double-quoted strings and heredocs interpret escapes', () => {
    const cases: [string, string][] = [
      [String.raw`"tab\there"`, 'tab\there'],
      [String.raw`"\x41\101\u{1F600}"`, 'AA😀'],
      [String.raw`"cost \$5"`, 'cost $5'],
      [String.raw`"keep \q"`, 'keep \\q'],
      ['<<<EOT\n    a\\tb\n    EOT', 'a\tb'],
      ["<<<'EOT'\nraw\\t\nEOT\n", 'raw\\t'],
    ];
    for (const [src, want] of cases) assert.equal(first(src), want, src);
  });

  it('reads numbers in every notation', () => {
    const cases: [string, number][] = [
      ['0x1F', 31],
      ['0b101', 5],
      ['0755', 493],
      ['0o17', 15],
      ['1_000', 1000],
      ['1.5e3', 1500],
      ['-1.5', -1.5],
      ['-(2)', -2],
      ['(int) "42abc"', 42],
    ];
    for (const [src, want] of cases) assert.equal(first(src), want, src);
  });

  it('concatenates literals and built-in constants', () => {
    assert.equal(first(`'a' . 'b' . 5 . PHP_EOL`), 'ab5\n');
    assert.equal(first(`'var' . DIRECTORY_SEPARATOR . 'log'`), 'var/log');
    assert.equal(first('null'), null);
    assert.equal(first('TRUE'), true);
  });

  it('follows PHP key rules: numeric strings are ints, implicit keys continue, later duplicates win', () => {
    assert.deepEqual(php(`['0' => 'x', '1' => 'y']`), ['x', 'y']);
    assert.deepEqual(php(`[5 => 'a', 'b']`), { 5: 'a', 6: 'b' });
    assert.deepEqual(php(`[1 => 'a', 0 => 'b']`), { 0: 'b', 1: 'a' });
    assert.deepEqual(php(`['08' => 1, '8' => 2]`), { '08': 1, 8: 2 });
    assert.deepEqual(php(`['k' => 1, 'k' => 2]`), { k: 2 });
    assert.deepEqual(php(`[true => 'one', -3 => 'neg']`), { 1: 'one', '-3': 'neg' });
    assert.deepEqual(php(`['__proto__' => 'safe']`), JSON.parse('{"__proto__":"safe"}'));
  });

  it('keeps what needs PHP to run as a placeholder with its source and line', () => {
    const v = php(`[\n  'host' => DB_HOST,\n  'port' => \\Vendor\\Cfg::PORT,\n  'user' => getenv('DB_USER'),\n  'name' => 'shop_' . $suffix,\n]`) as Record<string, unknown>;
    const expect = { host: ['DB_HOST', 3], port: ['\\Vendor\\Cfg::PORT', 4], user: ["getenv('DB_USER')", 5], name: ["'shop_' . $suffix", 6] };
    for (const [key, [expression, line]] of Object.entries(expect)) {
      const got = v[key];
      assert.ok(got instanceof PhpUnresolved, `${key} should be unresolved, got ${JSON.stringify(got)}`);
      assert.equal(got.expression, expression);
      assert.equal(got.line, line);
    }
    assert.equal(JSON.stringify(v.host), '"<unresolved PHP: DB_HOST>"');
  });

  it('finds the return after declare and inside a namespace, resolving ::class as PHP does', () => {
    const v = parseEnvPhp(
      `<?php\ndeclare(strict_types=1);\nnamespace Shop;\nuse Foo\\Bar;\nuse Vendor\\Cache\\Redis as R;\n\nreturn array('a' => Bar::class, 'b' => R::class, 'c' => Local::class, 'd' => \\Top::class, 'e' => Bar\\Sub::class);`,
      'env.php',
    );
    assert.deepEqual(v, { a: 'Foo\\Bar', b: 'Vendor\\Cache\\Redis', c: 'Shop\\Local', d: 'Top', e: 'Foo\\Bar\\Sub' });
  });
});

describe('parseEnvPhp errors', () => {
  const fails = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseEnvPhp(text, '/shop/app/etc/env.php'),
      (e: unknown) => isEnvsnapError(e, 'CONFIG') && pattern.test(e.message) && !e.message.includes('\n'),
    );

  it('names the file and line of a syntax error', () => {
    fails(`<?php\nreturn [\n  'a' => 'b'\n  'c' => 'd',\n];\n`, /^\/shop\/app\/etc\/env\.php line 4: not valid PHP/);
  });

  it('rejects a file that returns no array', () => {
    fails(`<?php\n$config = ['a' => 1];\n`, /env\.php: no `return \[\.\.\.\]` statement/);
    fails(`<?php\nreturn 'production';\n`, /env\.php line 2: env\.php returns a string, not an array/);
    fails(`<?php\nreturn include 'other.php';\n`, /returns include 'other\.php', not an array/);
    fails(`just text, no PHP`, /no `return/);
  });
});
