import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isEnvsnapError } from '../core/errors.ts';
import { backupScope, backupTypeLabel, backupTypeOfContents, mediaPlace, type EnvironmentBackupType } from './backup-types.ts';

const MAGENTO = ['var', 'pub/media', 'app/etc'];

describe('backupScope', () => {
  const cases: [string, string[], EnvironmentBackupType | undefined, boolean, { mounts: string[]; exclude: string[]; redis: boolean }][] = [
    ['system (default): every mount and Redis', MAGENTO, undefined, false, { mounts: MAGENTO, exclude: [], redis: true }],
    ['system without media: the media mount dropped', MAGENTO, 'system', true, { mounts: ['var', 'app/etc'], exclude: [], redis: true }],
    ['system without media: mounts under pub/media dropped too', ['var', 'pub/media/catalog', 'pub/media/wysiwyg'], 'system', true, { mounts: ['var'], exclude: [], redis: true }],
    ['system without media: a wider mount keeps all but pub/media', ['pub', 'var'], 'system', true, { mounts: ['pub', 'var'], exclude: ['pub/media'], redis: true }],
    ['system without media: pub/media2 is not media', ['pub/media2', 'pub/media'], 'system', true, { mounts: ['pub/media2'], exclude: [], redis: true }],
    ['db-media: only pub/media, no Redis', MAGENTO, 'db-media', false, { mounts: ['pub/media'], exclude: [], redis: false }],
    ['db-media: the mounts under pub/media', ['var', 'pub/media/catalog'], 'db-media', false, { mounts: ['pub/media/catalog'], exclude: [], redis: false }],
    ['db-media: pub/media under a wider mount', ['pub', 'var'], 'db-media', false, { mounts: ['pub/media'], exclude: [], redis: false }],
    ['db: no mounts, no Redis', MAGENTO, 'db', false, { mounts: [], exclude: [], redis: false }],
  ];
  for (const [name, mounts, type, excludeMedia, want] of cases) {
    it(name, () => {
      const s = backupScope({ name: 'production', mounts }, type, excludeMedia);
      assert.deepEqual({ mounts: s.mounts, exclude: s.exclude, redis: s.redis }, want);
      assert.equal(s.type, type ?? 'system');
      assert.equal(s.excludeMedia, excludeMedia);
    });
  }

  it('db-media without pub/media among the mounts: one line naming the mounts and what to do', () => {
    assert.throws(
      () => backupScope({ name: 'production', mounts: ['var', 'app/etc'] }, 'db-media'),
      (err: unknown) =>
        isEnvsnapError(err, 'INVALID_ARGUMENT') &&
        err.message === 'environment production has no pub/media among its mounts (var, app/etc): add pub/media to its mounts in envsnap.yaml, or use --type db (databases only) or --type system',
    );
  });

  for (const type of ['db', 'db-media'] as const) {
    it(`--exclude-media with ${type} is refused`, () => {
      assert.throws(() => backupScope({ name: 'p', mounts: MAGENTO }, type, true), (err: unknown) => isEnvsnapError(err, 'INVALID_ARGUMENT') && /--exclude-media applies to --type system only/.test(err.message));
    });
  }

  it('labels', () => {
    assert.equal(backupTypeLabel('system', true), 'system (no media)');
    assert.equal(backupTypeLabel('system', undefined), 'system');
    assert.equal(backupTypeLabel('db-media', undefined), 'db-media');
    assert.equal(backupTypeLabel('db', false), 'db');
  });
});

describe('backupTypeOfContents (imported archives)', () => {
  const cases: [string, string[], { media: boolean; other: boolean }, { type: EnvironmentBackupType; excludeMedia: boolean }][] = [
    ['no files: db', MAGENTO, { media: false, other: false }, { type: 'db', excludeMedia: false }],
    ['only pub/media: db-media', MAGENTO, { media: true, other: false }, { type: 'db-media', excludeMedia: false }],
    ['media and other files: system', MAGENTO, { media: true, other: true }, { type: 'system', excludeMedia: false }],
    ['other files, no media where the environment has it: system without media', MAGENTO, { media: false, other: true }, { type: 'system', excludeMedia: true }],
    ['media under a wider mount counts', ['pub', 'var'], { media: false, other: true }, { type: 'system', excludeMedia: true }],
    ['an environment without pub/media: plain system', ['var', 'app/etc'], { media: false, other: true }, { type: 'system', excludeMedia: false }],
  ];
  for (const [name, mounts, files, want] of cases) it(name, () => assert.deepEqual(backupTypeOfContents(mounts, files), want));

  it('places paths relative to pub/media', () => {
    assert.deepEqual(['pub/media', 'pub/media/a.jpg', 'pub', 'pub/static', 'pub/media2', 'var'].map(mediaPlace), ['media', 'media', 'above', 'other', 'other', 'other']);
  });
});
