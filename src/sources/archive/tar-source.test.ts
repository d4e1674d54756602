/**
 * TarSource on generated archives: member paths and places, metadata (pax mtimes to the
 * nanosecond), what is left out and counted, the database member handed over, and one-line errors
 * for unsafe members, non-tar input, truncation and damaged gzip. describeSource does not apply: a
 * file-tree source has no Sink (the Restorer writes its files back); the round trip through the
 * repository is test/e2e/snapshot-import.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { isEnvsnapError } from '../../core/errors.ts';
import { MemoryLogger, noProgress } from '../../core/logger.ts';
import { MemoryEntries } from '../../testing/memory-entries.ts';
import { compileExcludes } from '../files/exclude.ts';
import { memberPath, memberPlace, TarSource, type TarScan, type TarSourceSettings } from './tar-source.ts';

type Member = Parameters<ReturnType<typeof tar.pack>['entry']>[0] & { body?: string | Buffer };

async function tarOf(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { body, ...header } of members) {
    const content = body ?? (header.type === undefined || header.type === 'file' ? '' : undefined);
    if (content === undefined) pack.entry(header);
    else pack.entry(header, content);
  }
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const b of pack) parts.push(b as Buffer);
  return Buffer.concat(parts);
}

describe('tar members', () => {
  it('memberPath: safe relative paths, the root as "", absolute and climbing names refused', () => {
    const cases: [string, ReturnType<typeof memberPath>][] = [
      ['var/import/x.csv', { path: 'var/import/x.csv' }],
      ['./pub//media/', { path: 'pub/media' }],
      ['./', { path: '' }],
      ['.', { path: '' }],
      ['a/./b', { path: 'a/b' }],
      ['/etc/passwd', { unsafe: 'is an absolute path' }],
      ['var/../../x', { unsafe: 'climbs out with ".."' }],
      ['..', { unsafe: 'climbs out with ".."' }],
      ['a\0b', { unsafe: 'holds a NUL byte' }],
      ['..foo/bar..', { path: '..foo/bar..' }],
    ];
    for (const [name, want] of cases) assert.deepEqual(memberPath(name), want, name);
  });

  it('memberPlace: inside a mount, a folder above one, or outside', () => {
    const mounts = ['var', 'pub/media', 'app/etc'];
    const cases: [string, string][] = [
      ['var', 'inside'],
      ['var/x', 'inside'],
      ['pub/media/a/b.jpg', 'inside'],
      ['pub', 'ancestor'],
      ['app', 'ancestor'],
      ['pub/static/x.css', 'outside'],
      ['pub/media2', 'outside'],
      ['variable', 'outside'],
      ['vendor/autoload.php', 'outside'],
    ];
    for (const [path, want] of cases) assert.equal(memberPlace(path, mounts), want, path);
    assert.equal(memberPlace('anything/at/all', ['.']), 'inside');
  });
});

describe('TarSource', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envsnap-tar-source-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const mtime = new Date(1_600_000_000_000);
  const settings = (path: string, gzip: boolean, extra: Partial<TarSourceSettings> = {}): TarSourceSettings => ({
    name: path.split('/').at(-1)!,
    path,
    gzip,
    mounts: ['var', 'pub/media', 'app/etc'],
    exclude: compileExcludes(['var/cache/**', '*.log']),
    isDatabase: (p) => p === 'var/1700000000_db.sql',
    ...extra,
  });

  async function capture(s: TarSourceSettings): Promise<{ out: MemoryEntries; scan: TarScan; logger: MemoryLogger }> {
    const source = new TarSource(s);
    const out = new MemoryEntries();
    const logger = new MemoryLogger();
    const opts = { logger, progress: noProgress };
    await source.open(opts);
    const r = await source.capture(out, opts);
    await source.close();
    return { out, scan: r.details as unknown as TarScan, logger };
  }

  const shopArchive = () =>
    tarOf([
      { name: './', type: 'directory', mode: 0o755, mtime },
      { name: 'pub/', type: 'directory', mode: 0o750, mtime, uid: 33, gid: 33 },
      { name: 'pub/media/', type: 'directory', mode: 0o755, mtime },
      { name: 'pub/media/a.jpg', mode: 0o640, mtime, uid: 33, gid: 34, body: Buffer.alloc(5000, 1), pax: { mtime: '1600000000.123456789' } },
      { name: 'pub/static/x.css', mode: 0o644, mtime, body: 'css' },
      { name: 'app/code/Foo.php', mode: 0o644, mtime, body: '<?php' },
      { name: 'index.php', mode: 0o644, mtime, body: '<?php' },
      { name: 'var/cache/page', mode: 0o644, mtime, body: 'cached' },
      { name: 'var/log/system.log', mode: 0o644, mtime, body: 'log' },
      { name: 'var/1700000000_db.sql', mode: 0o600, mtime, body: 'CREATE TABLE t (a int);\n' },
      { name: 'var/latest', type: 'symlink', linkname: '../pub/media/a.jpg', mode: 0o777, mtime },
      { name: 'var/hard.jpg', type: 'link', linkname: 'pub/media/a.jpg', mtime },
      { name: 'var/to-outside', type: 'link', linkname: 'index.php', mtime },
      { name: 'var/pipe', type: 'fifo', mode: 0o600, mtime },
      { name: 'app/etc/env.php', mode: 0o600, mtime, body: '<?php return [];' },
    ]);

  for (const gzip of [true, false]) {
    it(`imports the members in the mounts with their metadata, counts the rest, hands over the database (${gzip ? '.tgz' : '.tar'})`, async () => {
      const raw = await shopArchive();
      const file = join(dir, gzip ? 'shop.tgz' : 'shop.tar');
      await writeFile(file, gzip ? gzipSync(raw) : raw);
      const databases: [string, string][] = [];
      const { out, scan, logger } = await capture(
        settings(file, gzip, {
          onDatabase: async (p, data) => {
            const parts: Buffer[] = [];
            for await (const b of data) parts.push(b);
            databases.push([p, Buffer.concat(parts).toString('utf8')]);
          },
        }),
      );
      assert.deepEqual([...out.files.keys()], ['pub/media/a.jpg', 'app/etc/env.php']);
      assert.equal(out.files.get('pub/media/a.jpg')!.length, 5000);
      assert.deepEqual(out.meta.get('pub/media/a.jpg'), { mode: 0o640, uid: 33, gid: 34, mtimeNs: '1600000000123456789' });
      assert.deepEqual(out.meta.get('app/etc/env.php'), { mode: 0o600, uid: 0, gid: 0, mtimeNs: '1600000000000000000' });
      const meta = { mode: 0o755, uid: 0, gid: 0, mtimeNs: '1600000000000000000' };
      assert.deepEqual(Object.fromEntries(out.entries), {
        pub: { type: 'dir', meta: { ...meta, mode: 0o750, uid: 33, gid: 33 } },
        'pub/media': { type: 'dir', meta },
        'var/latest': { type: 'symlink', target: Buffer.from('../pub/media/a.jpg'), meta: { ...meta, mode: 0o777 } },
        'var/hard.jpg': { type: 'hardlink', target: 'pub/media/a.jpg' },
        'var/pipe': { type: 'fifo', rdev: 0, meta: { ...meta, mode: 0o600 } },
      });
      assert.deepEqual(databases, [['var/1700000000_db.sql', 'CREATE TABLE t (a int);\n']]);
      assert.deepEqual(
        { members: scan.members, files: scan.files, mounts: scan.mounts, outside: scan.outside, tops: scan.outsideTops, examples: scan.outsideExamples, excluded: scan.excluded, unsupported: scan.unsupported, databases: scan.databases },
        { members: 15, files: 3, mounts: ['var', 'pub/media', 'app/etc'], outside: 3, tops: 3, examples: ['pub', 'app', 'index.php'], excluded: 2, unsupported: 1, databases: ['var/1700000000_db.sql'] },
      );
      assert.match(logger.warnings().join('\n'), /var\/to-outside is left out: it is a hardlink to index\.php, which is not imported/);
    });
  }

  async function failure(name: string, bytes: Buffer, gzip: boolean): Promise<unknown> {
    const file = join(dir, name);
    await writeFile(file, bytes);
    return capture(settings(file, gzip)).then(
      () => assert.fail('the capture should fail'),
      (err: unknown) => err,
    );
  }

  it('refuses a member that is absolute or climbs out, before reading on', async () => {
    for (const name of ['../../etc/cron.d/x', '/root/.ssh/authorized_keys', 'var/../../x']) {
      const err = await failure('evil.tar', await tarOf([{ name: 'var/a', body: 'a' }, { name, body: 'x' }, { name: 'var/b', body: 'b' }]), false);
      assert.ok(isEnvsnapError(err, 'UNSAFE_PATH'), String(err));
      assert.match(err.message, /^evil\.tar: member ".*" (is an absolute path|climbs out with "\.\."), so it would land outside the shop's root/);
    }
    const link = await failure('evil-link.tar', await tarOf([{ name: 'var/a', body: 'a' }, { name: 'var/l', type: 'link', linkname: '../x' }]), false);
    assert.ok(isEnvsnapError(link, 'UNSAFE_PATH'), String(link));
  });

  it('names a file that is not tar, a truncated tar and a damaged gzip', async () => {
    const notTar = await failure('notes.tar', Buffer.alloc(2048, 'hello world '), false);
    assert.ok(isEnvsnapError(notTar, 'INVALID_ARGUMENT') && /^notes\.tar is not a readable tar archive \(.*\): check it with "tar -tf notes\.tar"/.test(notTar.message), String(notTar));
    const whole = await tarOf([{ name: 'var/big', body: Buffer.alloc(100_000, 3) }]);
    const cut = await failure('cut.tar', whole.subarray(0, 50_000), false);
    assert.ok(isEnvsnapError(cut, 'INVALID_ARGUMENT') && /^cut\.tar is not a readable tar archive \(Unexpected end of data\)/.test(cut.message), String(cut));
    const gz = gzipSync(whole);
    gz[gz.length - 6] ^= 0xff; // the CRC-32 at the end
    const crc = await failure('crc.tgz', gz, true);
    assert.ok(isEnvsnapError(crc, 'INVALID_ARGUMENT') && /^crc\.tgz is not a gzip file or is damaged \(incorrect data check\)/.test(crc.message), String(crc));
    const short = await failure('short.tgz', gzipSync(whole).subarray(0, 200), true);
    assert.ok(isEnvsnapError(short, 'INVALID_ARGUMENT') && /^short\.tgz is truncated/.test(short.message), String(short));
  });

  it('names a missing file', async () => {
    const source = new TarSource(settings(join(dir, 'nope.tgz'), true));
    await assert.rejects(source.open({ logger: new MemoryLogger(), progress: noProgress }), (err: unknown) => isEnvsnapError(err, 'NOT_FOUND') && /nope\.tgz does not exist/.test(err.message));
  });
});
