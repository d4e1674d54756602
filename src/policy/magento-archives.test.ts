import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMagentoDatabaseMember, magentoArchiveName, magentoArchiveType, parseImportFileName } from './magento-archives.ts';

describe('Magento archive names', () => {
  it('names the archive of each backup type', () => {
    const cases: [Parameters<typeof magentoArchiveType>, string][] = [
      [['db', false], '1709287500_db.sql.gz'],
      [['db-media', false], '1709287500_media.tgz'],
      [['system', false], '1709287500_snapshot.tgz'],
      [['system', true], '1709287500_nomedia.tgz'],
    ];
    for (const [args, name] of cases) assert.equal(magentoArchiveName(1709287500, magentoArchiveType(...args)), name);
  });

  it('reads the kind, gzip, time and Magento type from a file name', () => {
    const cases: [string, ReturnType<typeof parseImportFileName>][] = [
      ['1709287500_db.sql.gz', { kind: 'sql', gzip: true, time: 1709287500, magento: 'db' }],
      ['1709287500_snapshot.tgz', { kind: 'tar', gzip: true, time: 1709287500, magento: 'snapshot' }],
      ['1709287500_NoMedia.TAR.GZ', { kind: 'tar', gzip: true, time: 1709287500, magento: 'nomedia' }],
      ['1709287500_media.tar', { kind: 'tar', gzip: false, time: 1709287500, magento: 'media' }],
      ['1709287500_db.sql', { kind: 'sql', gzip: false, time: 1709287500, magento: 'db' }],
      ['1709287500_media.sql.gz', { kind: 'sql', gzip: true, time: 1709287500 }],
      ['1709287500_db.tgz', { kind: 'tar', gzip: true, time: 1709287500 }],
      ['shop-production-20240301-101500.sql.gz', { kind: 'sql', gzip: true }],
      ['dump.sql', { kind: 'sql', gzip: false }],
      ['12_db.sql.gz', { kind: 'sql', gzip: true }],
      ['backup.zip', undefined],
      ['dump.sql.bz2', undefined],
      ['.sql', undefined],
      ['1709287500_db.gz', undefined],
    ];
    for (const [name, want] of cases) assert.deepEqual(parseImportFileName(name), want, name);
  });

  it('recognizes the database member of a .tgz, by the time when it is known', () => {
    assert.ok(isMagentoDatabaseMember('var/1709287500_db.sql'));
    assert.ok(isMagentoDatabaseMember('var/1709287500_db.sql', 1709287500));
    assert.ok(!isMagentoDatabaseMember('var/1709287499_db.sql', 1709287500));
    assert.ok(!isMagentoDatabaseMember('var/backups/1709287500_db.sql'));
    assert.ok(!isMagentoDatabaseMember('var/x_db.sql'));
  });
});
