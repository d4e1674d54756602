import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { isEnvsnapError, type ErrorCode } from '../core/errors.ts';
import { checkMountsExist, getEnvironment, loadProjectConfig, parseProjectConfig, type ProjectConfig } from './project-config.ts';
import { InlineSecret, resolveSecret } from './secrets.ts';

const FILE = '/srv/shop/envsnap.yaml';

const EXAMPLE = `# envsnap project configuration
project: shop
repository: .envsnap/repo          # next to this file
password_env: ENVSNAP_PASSWORD
environments:
  production:
    type: production
    plan: pro
    root: /var/www/shop
    mounts: [var, ./pub/media/, app/etc]
    exclude: [var/cache/**, var/page_cache/**, var/session/**, var/log/**, var/report/**, generated/**]
    database: { type: mysql, host: 10.0.0.5, port: 3307, user: shop, password_env: SHOP_DB_PASSWORD, name: magento }
    redis: [ { url: "redis://127.0.0.1:6379/0", role: cache }, { url: "redis://127.0.0.1:6379/2", role: sessions } ]
    maintenance: { flag: var/.maintenance.flag }
  staging:
    type: staging
    root: ../staging
    database:
      - { type: mysql, user: stage, name: magento_stage, password_file: secrets/stage-db }
      - { type: mysql, id: checkout, socket: /run/mysqld/mysqld.sock, user: stage, name: quote }
      - { type: sqlite, id: local, path: var/local.db }
    maintenance: { command_on: "bin/magento maintenance:enable", command_off: "bin/magento maintenance:disable" }
`;

const parse = (text: string) => parseProjectConfig(text, FILE);

/** Asserts `fn` throws a one-line EnvsnapError with `code` whose message matches every pattern. */
function assertFails(fn: () => unknown, code: ErrorCode, ...patterns: RegExp[]): string {
  let message = '';
  assert.throws(fn, (e: unknown) => {
    assert.ok(isEnvsnapError(e, code), `expected EnvsnapError ${code}, got ${String(e)}`);
    message = e.message;
    return true;
  });
  assert.ok(!message.includes('\n'), `message has several lines: ${message}`);
  for (const p of patterns) assert.match(message, p);
  return message;
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'envsnap-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('parseProjectConfig', () => {
  const cfg = parse(EXAMPLE);

  it('resolves paths against the config file and the environment root', () => {
    assert.equal(cfg.file, FILE);
    assert.equal(cfg.project, 'shop');
    assert.equal(cfg.repository, '/srv/shop/.envsnap/repo');
    assert.deepEqual(cfg.password, { env: 'ENVSNAP_PASSWORD' });
    assert.deepEqual([...cfg.environments.keys()], ['production', 'staging']);
    const prod = cfg.environments.get('production')!;
    assert.equal(prod.root, '/var/www/shop');
    assert.deepEqual(prod.mounts, ['var', 'pub/media', 'app/etc']);
    assert.deepEqual(prod.maintenance, { kind: 'flag', flag: '/var/www/shop/var/.maintenance.flag' });
    const stage = cfg.environments.get('staging')!;
    assert.equal(stage.root, '/srv/staging');
    assert.deepEqual(stage.databases.map((d) => (d.kind === 'sqlite' ? d.path : d.password)), [{ file: '/srv/shop/secrets/stage-db' }, {}, '/srv/staging/var/local.db']);
  });

  it('applies defaults: plan starter, mysql host and port, database id, no maintenance', () => {
    const stage = cfg.environments.get('staging')!;
    assert.equal(stage.plan, 'starter');
    assert.deepEqual(stage.mounts, []);
    assert.deepEqual(stage.databases[0], { kind: 'mysql', id: 'default', host: '127.0.0.1', port: 3306, user: 'stage', database: 'magento_stage', password: { file: '/srv/shop/secrets/stage-db' } });
    assert.equal(stage.databases[1].kind === 'mysql' && stage.databases[1].socket, '/run/mysqld/mysqld.sock');
    assert.deepEqual(stage.maintenance, { kind: 'command', on: 'bin/magento maintenance:enable', off: 'bin/magento maintenance:disable' });
    const minimal = parse('project: p\nrepository: /r\nenvironments:\n  dev: { type: integration, root: . }\n');
    const { policy, ...dev } = minimal.environments.get('dev')!;
    assert.deepEqual(dev, { name: 'dev', type: 'integration', plan: 'starter', root: '/srv/shop', mounts: [], exclude: [], databases: [], redis: [], maintenance: { kind: 'none' } });
    assert.ok(Object.values(policy.origins).every((o) => o === 'preset (starter/integration)'));
  });

  it('keeps an s3:// repository as written', () => {
    assert.equal(parse('project: p\nrepository: s3://bucket/shop\n').repository, 's3://bucket/shop');
  });

  it('takes an s3: block beside an s3:// repository or an s3:// copy_to, and refuses one with neither', () => {
    const copyTo = (repo: string) => `environments:\n  e:\n    type: production\n    root: /x\n    copy_to: { repository: ${repo}, password_env: P }\n`;
    const s3 = 's3:\n  endpoint: http://127.0.0.1:9000\n  path_style: true\n';
    assert.deepEqual(parse(`project: p\nrepository: s3://bucket/shop\n${s3}`).s3, { endpoint: 'http://127.0.0.1:9000', pathStyle: true });
    assert.deepEqual(parse(`project: p\nrepository: /r\n${s3}${copyTo('s3://offsite/shop')}`).s3, { endpoint: 'http://127.0.0.1:9000', pathStyle: true });
    assertFails(() => parse(`project: p\nrepository: /r\n${s3}${copyTo('/offsite')}`), 'CONFIG', /line 3: s3: settings for S3 but neither the repository nor a copy_to repository is an s3:\/\/ URL/);
  });

  it("takes a copy_to's own s3: block (a copy on another S3 service) and refuses one beside a directory copy_to", () => {
    const withCopy = (repo: string, block: string) => `project: p\nrepository: /r\nenvironments:\n  e:\n    type: production\n    root: /x\n    copy_to:\n      repository: ${repo}\n      password_env: P\n      s3:\n${block}`;
    const c = parse(withCopy('s3://offsite/shop', '        endpoint: https://s3.eu.example.com\n        access_key_id_env: OFF_KEY\n        secret_access_key_env: OFF_SECRET\n'));
    assert.equal(c.s3, undefined);
    assert.deepEqual(c.environments.get('e')!.copyTo, {
      repository: 's3://offsite/shop',
      password: { env: 'P' },
      s3: { endpoint: 'https://s3.eu.example.com', accessKeyIdEnv: 'OFF_KEY', secretAccessKeyEnv: 'OFF_SECRET' },
    });
    assertFails(() => parse(withCopy('/offsite', '        region: eu-west-1\n')), 'CONFIG', /line 10: environments\.e\.copy_to\.s3: settings for S3 but the copy_to repository is not an s3:\/\/ URL/);
    assertFails(() => parse(withCopy('s3://offsite/shop', '        access_key_id_env: OFF_KEY\n')), 'CONFIG', /environments\.e\.copy_to\.s3: only one of access_key_id_env and secret_access_key_env/);
    assertFails(() => parse(withCopy('s3://offsite/shop', '        endpiont: https://x\n')), 'CONFIG', /endpiont/);
  });

  it('gives Redis entries unique ids from their roles, leaving explicit ids alone', () => {
    const c = parse(`project: p\nrepository: r\nenvironments:\n  e:\n    type: staging\n    root: /x\n    redis:\n      - { url: "redis://a", role: cache }\n      - { url: "redis://b", role: cache }\n      - { url: "redis://c" }\n      - { url: "redis://d", role: page_cache, id: cache-2 }\n`);
    assert.deepEqual(
      c.environments.get('e')!.redis.map((r) => [r.id, r.role]),
      [
        ['cache', 'cache'],
        ['cache-3', 'cache'],
        ['other', 'other'],
        ['cache-2', 'page_cache'],
      ],
    );
  });
});

describe('policy layers: project, types.<type>, environment', () => {
  const text = `project: p
repository: /r
policy:
  manual: { keep_within: 14d }
  keep_tags: [release]
types:
  production:
    policy:
      manual: { allowed: true, max_count: 3 }
  staging:
    policy:
      automatic: { keep_last: 5 }
environments:
  prod: { type: production, plan: pro, root: ., policy: { manual: { max_count: 2 } } }
  stage: { type: staging, plan: pro, root: . }
  dev: { type: integration, root: . }
`;
  const cfg = parse(text);

  it('most specific wins per value, each value naming its origin', () => {
    const prod = cfg.environments.get('prod')!.policy;
    assert.equal(prod.manual.allowed, true);
    assert.equal(prod.origins['manual.allowed'], 'type production');
    assert.equal(prod.manual.maxCount, 2);
    assert.equal(prod.origins['manual.max_count'], 'environment prod');
    assert.deepEqual(prod.manual.keepWithin, { amount: 14, unit: 'd' });
    assert.equal(prod.origins['manual.keep_within'], 'project');
    assert.deepEqual(prod.keepTags, ['release']);
    assert.equal(prod.origins['automatic.keep_last'], 'preset (pro/production)');
  });

  it('a type layer applies only to environments of that type', () => {
    const stage = cfg.environments.get('stage')!.policy;
    assert.equal(stage.automatic.keepLast, 5);
    assert.equal(stage.origins['automatic.keep_last'], 'type staging');
    assert.equal(stage.manual.allowed, false, 'Pro staging refuses manual snapshots unless a layer allows them');
    assert.equal(stage.origins['manual.allowed'], 'preset (pro/staging)');
    const dev = cfg.environments.get('dev')!.policy;
    assert.equal(dev.origins['automatic.keep_last'], 'preset (starter/integration)');
    assert.equal(dev.origins['keep_tags'], 'project');
  });

  const cases: [string, string, string, RegExp][] = [
    ['unknown key in a policy', 'keep_tags: [release]', 'keep_tag: [release]', /line 5: policy\.keep_tag: unknown key: remove it or fix its spelling \(allowed here: manual, automatic, keep_tags\)$/],
    ['unknown key in manual', 'allowed: true, max_count: 3', 'allowed: true, max_cnt: 3', /line 9: types\.production\.policy\.manual\.max_cnt: unknown key: .*allowed here: allowed, keep_within, max_count/],
    ['unknown environment type', '  staging:\n    policy:', '  stagin:\n    policy:', /line 10: types\.stagin: unknown key: .*allowed here: integration, staging, production/],
    ['unknown key under a type', '  staging:\n    policy:', '  staging:\n    polcy:', /line 11: types\.staging\.polcy: unknown key: .*allowed here: policy/],
    ['bad duration', 'keep_within: 14d', 'keep_within: 14 days', /line 4: policy\.manual\.keep_within: .+$/],
    ['a backup type of old (full)', 'automatic: { keep_last: 5 }', 'automatic: { keep_last: 5, backup_type: full }', /line 12: types\.staging\.policy\.automatic\.backup_type: invalid value "full": use one of system, db-media, db$/],
    ['wrong type', 'max_count: 2', 'max_count: two', /line 14: environments\.prod\.policy\.manual\.max_count: expected a number, got a string: fix the value$/],
    ['automatic snapshots kept by nothing', 'policy: { manual: { max_count: 2 } }', 'policy: { automatic: { keep_last: 0, tiers: [] } }', /line 14: environments\.prod\.policy: .*nothing keeps them.*: give tiers or a keep_last of 1 or more, or set automatic\.enabled: false$/],
  ];
  for (const [what, from, to, pattern] of cases) {
    it(`rejects: ${what}`, () => {
      assert.ok(text.includes(from), `fixture lacks ${from}`);
      assertFails(() => parse(text.replace(from, to)), 'CONFIG', new RegExp(`^/srv/shop/envsnap\\.yaml line \\d+: `), pattern);
    });
  }
});

describe('inline Redis passwords', () => {
  const text = `project: p\nrepository: r\nenvironments:\n  e:\n    type: production\n    root: /x\n    redis: [ { url: "rediss://app:p%40ss%3Aw0rd@cache.internal:6380/1", role: cache } ]\n`;

  it('are removed from the URL and kept out of JSON and inspect, but resolvable', () => {
    const r = parse(text).environments.get('e')!.redis[0];
    assert.equal(r.url, 'rediss://app@cache.internal:6380/1');
    assert.ok(r.password instanceof InlineSecret);
    assert.equal(resolveSecret(r.password, 'the Redis password'), 'p@ss:w0rd');
    const shown = JSON.stringify(r) + inspect(r, { depth: 5, showHidden: true });
    for (const leak of ['p@ss', 'p%40ss', 'w0rd']) assert.ok(!shown.includes(leak), `password visible in ${shown}`);
  });

  it('never appear in error messages', () => {
    for (const bad of ['"redis://:hunter2secret@host/x"', '"http://:hunter2secret@host/0"', '"redis://:hunter2secret@/0"']) {
      const msg = assertFails(() => parse(text.replace(/"rediss:[^"]*"/, bad)), 'CONFIG', /redis\[0\]\.url/);
      assert.ok(!msg.includes('hunter2'), msg);
    }
  });
});

describe('configuration errors name file, line, key path, problem and fix', () => {
  const cases: [string, string, string, RegExp[]][] = [
    ['wrong type', 'port: 3307', 'port: "abc"', [/line 12: environments\.production\.database\.port: expected a number, got a string: fix the value$/]],
    ['out of range', 'port: 3307', 'port: 70000', [/line 12: environments\.production\.database\.port: must be at most 65535/]],
    ['missing key', 'user: shop, ', '', [/line 12: environments\.production\.database\.user: missing required key: add it$/]],
    ['unknown key', '    plan: pro\n', '    plann: pro\n', [/line 8: environments\.production\.plann: unknown key: remove it or fix its spelling \(allowed here: type, plan, root,/]],
    ['unknown key in a list item', 'role: sessions }', 'role: sessions, db: 2 }', [/line 13: environments\.production\.redis\[1\]\.db: unknown key: .*allowed here: url, role, id, password_env, password_file/]],
    ['unknown top-level key', 'project: shop', 'project: shop\nprojet: x', [/line 3: projet: unknown key/]],
    ['password in the file', 'password_env: SHOP_DB_PASSWORD', 'password: hunter2', [/database\.password: passwords are not stored in envsnap\.yaml: use password_env/]],
    ['invalid enum', 'plan: pro', 'plan: gold', [/line 8: environments\.production\.plan: invalid value "gold": use one of starter, pro$/]],
    ['missing type', '    type: staging\n', '', [/line 15: environments\.staging\.type: missing required key: add it: one of integration, staging, production$/]],
    ['unknown database type', 'type: mysql, host', 'type: postgres, host', [/line 12: environments\.production\.database\.type: invalid value "postgres": write type: mysql or type: sqlite$/]],
    ['invalid project name', 'project: shop', 'project: My Shop', [/line 2: project: invalid value "My Shop" \(must be lower-case letters/]],
    ['invalid environment name', '  staging:', '  Staging:', [/line 15: environments\.Staging: invalid environment name: rename it: lower-case letters/]],
    ['both password sources', 'password_env: SHOP_DB_PASSWORD', 'password_env: A, password_file: /b', [/line 12: environments\.production\.database\.password_file: both password_env and password_file are set: keep one of them$/]],
    ['duplicate database id', 'id: checkout,', 'id: default,', [/line 20: environments\.staging\.database\[1\]\.id: database id default is used twice/]],
    ['mount outside root', '[var, ./pub', '[var, ../pub', [/line 10: environments\.production\.mounts\[1\]: mount "\.\.\/pub\/media\/" leaves the root/]],
    ['absolute mount', '[var, ./pub', '[var, /pub', [/mounts\[1\]: mount "\/pub\/media\/" is absolute: write it relative to the environment root$/]],
    ['half a maintenance command', '    maintenance: { command_on: "bin/magento maintenance:enable", command_off: "bin/magento maintenance:disable" }', '    maintenance: { command_on: x }', [/line 22: environments\.staging\.maintenance\.command_off: missing required key/]],
    ['flag and command', '{ flag: var/.maintenance.flag }', '{ flag: f, command_on: a, command_off: b }', [/line 14: environments\.production\.maintenance: both a flag and commands are set/]],
    ['unsupported repository URL', 'repository: .envsnap/repo', 'repository: sftp://host/repo', [/line 3: repository: unsupported repository URL: use a directory path or an s3:\/\/ URL$/]],
    ['empty list', 'mounts: [var, ./pub/media/, app/etc]', 'mounts:', [/line 10: environments\.production\.mounts: expected a list, got an empty value/]],
  ];
  for (const [what, from, to, patterns] of cases) {
    it(what, () => {
      assert.ok(EXAMPLE.includes(from), `fixture lacks ${from}`);
      assertFails(() => parse(EXAMPLE.replace(from, to)), 'CONFIG', new RegExp(`^${FILE.replace(/[./]/g, '\\$&')} line \\d+: `), ...patterns);
    });
  }

  it('a YAML syntax error names the file and line', () => {
    assertFails(() => parse(EXAMPLE.replace('plan: pro', 'plan: [pro')), 'CONFIG', /^\/srv\/shop\/envsnap\.yaml line \d+: not valid YAML \(.+\): fix the syntax$/);
    assertFails(() => parse('project: a\nproject: b\n'), 'CONFIG', /line 2: not valid YAML \(Map keys must be unique\)/);
  });

  it('a file that is not a mapping', () => {
    assertFails(() => parse(''), 'CONFIG', /^\/srv\/shop\/envsnap\.yaml: the file is not a mapping of settings: start from `project: NAME`/);
    assertFails(() => parse('- a\n- b\n'), 'CONFIG', /line 1: the file is not a mapping/);
  });
});

describe('loadProjectConfig', () => {
  it('reads envsnap.yaml from the working directory, or the given file relative to it', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'envsnap.yaml'), 'project: a\nrepository: repo\n');
    await mkdir(join(dir, 'conf'));
    await writeFile(join(dir, 'conf', 'other.yaml'), 'project: b\nrepository: repo\n');
    const a = await loadProjectConfig({ cwd: dir });
    assert.deepEqual([a.project, a.file, a.repository], ['a', join(dir, 'envsnap.yaml'), join(dir, 'repo')]);
    const b = await loadProjectConfig({ cwd: dir, file: 'conf/other.yaml' });
    assert.deepEqual([b.project, b.repository], ['b', join(dir, 'conf', 'repo')]);
  });

  it('says how to create a missing file', async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(loadProjectConfig({ cwd: dir }), (e: unknown) => isEnvsnapError(e, 'CONFIG') && e.message === `no envsnap.yaml in ${dir}: create one, run \`envsnap env:discover --root DIR\` to write it, or pass --config FILE`);
    await assert.rejects(loadProjectConfig({ cwd: dir, file: 'x.yaml' }), (e: unknown) => isEnvsnapError(e, 'CONFIG') && e.message.startsWith(`configuration file ${join(dir, 'x.yaml')} does not exist: `));
  });
});

describe('getEnvironment', () => {
  const two = parse(EXAMPLE);
  const one = parse('project: p\nrepository: r\nenvironments:\n  only: { type: staging, root: /x }\n');
  const none = parse('project: p\nrepository: r\n');

  it('returns the named environment, or the only one', () => {
    assert.equal(getEnvironment(two, 'staging').name, 'staging');
    assert.equal(getEnvironment(one, undefined).name, 'only');
  });

  it('asks for --env when there are several', () => {
    assertFails(() => getEnvironment(two, undefined), 'CONFIG', /several environments \(production, staging\): pass the one to use with --env$/);
    assertFails(() => getEnvironment(none, undefined), 'CONFIG', /defines no environments/);
  });

  it('lists the existing names for an unknown one', () => {
    assertFails(() => getEnvironment(two, 'prod'), 'NOT_FOUND', /^no environment prod in \/srv\/shop\/envsnap\.yaml \(it has production, staging\): /);
  });
});

describe('checkMountsExist', () => {
  async function env(t: TestContext, mounts: string[]): Promise<{ cfg: ProjectConfig; root: string }> {
    const dir = await tempDir(t);
    const root = join(dir, 'shop');
    await mkdir(join(root, 'var'), { recursive: true });
    await mkdir(join(root, 'pub', 'media'), { recursive: true });
    return { cfg: parseProjectConfig(`project: p\nrepository: r\nenvironments:\n  production: { type: production, root: shop, mounts: [${mounts.join(', ')}] }\n`, join(dir, 'envsnap.yaml')), root };
  }

  it('passes when root and mounts exist', async (t) => {
    const { cfg } = await env(t, ['var', 'pub/media']);
    await checkMountsExist(getEnvironment(cfg, 'production'));
  });

  it('names the missing mount and the root', async (t) => {
    const { cfg, root } = await env(t, ['var', 'app/etc']);
    await assert.rejects(checkMountsExist(getEnvironment(cfg, 'production')), (e: unknown) => isEnvsnapError(e, 'CONFIG') && e.message === `mount app/etc of environment production does not exist under ${root}: create it, or remove it from mounts in envsnap.yaml`);
  });

  it('names a missing root', async (t) => {
    const { cfg, root } = await env(t, ['var']);
    await rm(root, { recursive: true });
    await assert.rejects(checkMountsExist(getEnvironment(cfg, 'production')), (e: unknown) => isEnvsnapError(e, 'CONFIG') && e.message.startsWith(`root ${root} of environment production does not exist: `));
  });
});

describe('resolveSecret', () => {
  it('reads an environment variable when used', (t) => {
    const name = 'ENVSNAP_TEST_SECRET_VALUE';
    t.after(() => delete process.env[name]);
    delete process.env[name];
    assertFails(() => resolveSecret({ env: name }, 'the password of database default'), 'CONFIG', /^the password of database default comes from the environment variable ENVSNAP_TEST_SECRET_VALUE, which is not set: /);
    process.env[name] = 'from env';
    assert.equal(resolveSecret({ env: name }, 'x'), 'from env');
  });

  it('reads a file without its trailing newline, naming the file when it cannot', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'pw');
    assertFails(() => resolveSecret({ file }, 'the repository password'), 'CONFIG', new RegExp(`^the repository password comes from the file ${file}, which cannot be read \\(it does not exist\\): `));
    await writeFile(file, 'line one\n');
    assert.equal(resolveSecret({ file }, 'x'), 'line one');
    await writeFile(file, ' spaced \r\n\n');
    assert.equal(resolveSecret({ file }, 'x'), ' spaced \r\n');
  });

  it('gives the empty password when none is configured', () => {
    assert.equal(resolveSecret({}, 'x'), '');
  });
});
