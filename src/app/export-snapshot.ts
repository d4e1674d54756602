/**
 * Use case `snapshot:export`: a snapshot out of the repository as ordinary archives.
 *
 *   tar      the snapshot's tree (or a path of it) as a tar stream: for an environment snapshot the
 *            tree as stored (files/ with the mounts, mysql/<id>/, redis/<id>/ … see FORMAT.md)
 *   magento  the archives of Magento's own backups (System > Backups, `setup:backup`), named
 *            `<unix time of the snapshot>_<type>.<ext>` by the snapshot's backup type:
 *              db                  <t>_db.sql.gz     the database as an SQL script, gzip
 *              system              <t>_snapshot.tgz  the mounts at their paths under the Magento root,
 *              system, no media    <t>_nomedia.tgz   plus the database script as var/<t>_db.sql, where
 *              db-media            <t>_media.tgz     Magento's Snapshot backup puts it
 *            Only the environment's first MySQL database goes in (Magento backs up its default
 *            connection); Redis is not part of a Magento backup.
 *
 * Every file is written atomically (atomic-file.ts): an archive that exists is whole.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Pack } from 'tar-stream';
import { EnvsnapError } from '../core/errors.ts';
import { magentoArchiveName, magentoArchiveType, magentoDatabaseMember, type MagentoArchiveType } from '../policy/magento-archives.ts';
import { withLock } from '../repo/lock.ts';
import type { Repository } from '../repo/repository.ts';
import { TreeEntryReader } from '../snapshot/entry-tree.ts';
import { resolveSnapshot, type Snapshot } from '../snapshot/manifest.ts';
import { addTreeToTar, type TarTreeSummary } from '../snapshot/tar-writer.ts';
import { resolveSubtree } from '../snapshot/tree-reader.ts';
import { snapshotSql } from '../sources/mysql/snapshot-sql.ts';
import { writeAtomically } from './atomic-file.ts';
import type { AppContext } from './context.ts';
import { PROGRAM_VERSION } from './version.ts';

export interface TarExportInput {
  ref: string;
  /** A path inside the snapshot tree; default all of it. */
  path?: string;
  /** gzip the stream (a .tgz). */
  gzip?: boolean;
  out: Writable;
}

/** Writes the tar of a snapshot (or a path of it) to `out` (not closed). */
export async function exportTar(ctx: AppContext, repo: Repository, input: TarExportInput): Promise<{ snapshot: Snapshot } & TarTreeSummary> {
  return withLock(repo, { exclusive: false, operation: 'export', logger: ctx.logger }, async () => {
    const snapshot = await resolveSnapshot(repo, input.ref);
    await repo.loadIndex();
    let bytes = 0;
    const onBytes = (n: number) => ctx.progress.update({ phase: 'exporting', files: 0, bytes: (bytes += n) });
    try {
      const summary = await writeTar((pack) => addTreeToTar(repo, snapshot.tree, pack, { path: input.path, logger: ctx.logger, onBytes }), (pack) =>
        input.gzip ? pipeline(pack, createGzip(), input.out, { end: false }) : pipeline(pack, input.out, { end: false }),
      );
      return { snapshot, ...summary };
    } finally {
      ctx.progress.done();
    }
  });
}

export interface MagentoExportResult {
  snapshot: Snapshot;
  /** The archive written (absolute path) and its Magento backup type. */
  path: string;
  type: MagentoArchiveType;
  bytes: number;
}

/** Writes the snapshot as Magento's backup archive into `outputDir`. */
export async function exportMagento(ctx: AppContext, repo: Repository, input: { ref: string; outputDir: string; cwd: string }): Promise<MagentoExportResult> {
  const dir = resolve(input.cwd, input.outputDir);
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new EnvsnapError('INVALID_ARGUMENT', `the output folder ${dir} does not exist: create it or pass another --output`);
  return withLock(repo, { exclusive: false, operation: 'export', logger: ctx.logger }, async () => {
    const snapshot = await resolveSnapshot(repo, input.ref);
    const env = snapshot.environment;
    const db = env?.sources.find((s) => s.kind === 'mysql');
    if (!env || !db) {
      throw new EnvsnapError(
        'INVALID_ARGUMENT',
        `snapshot ${snapshot.id.slice(0, 8)} ${env ? 'has no MySQL/MariaDB database' : 'is a file snapshot'}: a Magento backup holds a database; export it with --format tar instead`,
      );
    }
    for (const other of env.sources.filter((s) => s.kind === 'mysql' && s !== db)) ctx.logger.warn(`${other.name} is left out: a Magento backup holds the default connection's database only (${db.name})`);
    await repo.loadIndex();
    const time = Math.floor(Date.parse(snapshot.time) / 1000);
    const backupType = env.backupType ?? 'system';
    const type = magentoArchiveType(backupType, env.excludeMedia);
    const path = join(dir, magentoArchiveName(time, type));
    const header = [`${`envsnap ${PROGRAM_VERSION}`} export of snapshot ${snapshot.id} (${env.project}/${env.name}, ${backupType}), taken ${snapshot.time}`];
    const sqlOf = async () => {
      const reader = await TreeEntryReader.open(repo, await resolveSubtree(repo, snapshot.tree, db.path));
      return snapshotSql(reader, { name: db.name, header });
    };
    let bytes = 0;
    const count = async function* (src: AsyncIterable<Buffer>) {
      for await (const b of src) {
        bytes += b.length;
        yield b;
      }
    };
    try {
      if (type === 'db') {
        const sql = await sqlOf();
        await writeAtomically(path, (file) => pipeline(Readable.from(sql.chunks, { highWaterMark: 2 }), createGzip(), count, file));
      } else {
        // A tar member needs its size first: the script goes to a private temporary file, then in.
        const scratch = await mkdtemp(join(dir, '.envsnap-export-'));
        try {
          const sqlFile = join(scratch, `${time}_db.sql`);
          // A scratch file inside a private temporary folder: no rename needed, removed below.
          await pipeline(Readable.from((await sqlOf()).chunks, { highWaterMark: 2 }), createWriteStream(sqlFile, { mode: 0o600 }));
          const sqlSize = (await stat(sqlFile)).size;
          await writeAtomically(path, (file) =>
            writeTar(
              async (pack) => {
                if (snapshot.paths.length > 0) await addTreeToTar(repo, snapshot.tree, pack, { path: 'files', relative: true, logger: ctx.logger });
                await new Promise<void>((ok, fail) => {
                  const entry = pack.entry({ name: magentoDatabaseMember(time), size: sqlSize, mode: 0o600, mtime: new Date(time * 1000) }, (err) => (err ? fail(err) : ok()));
                  createReadStream(sqlFile).on('error', fail).pipe(entry);
                });
              },
              (pack) => pipeline(pack, createGzip(), count, file),
            ),
          );
        } finally {
          await rm(scratch, { recursive: true, force: true });
        }
      }
    } finally {
      ctx.progress.done();
    }
    return { snapshot, path, type, bytes };
  });
}

/**
 * Runs `fill` on a new tar pack while `drain` writes the pack out; finalizes the pack when `fill`
 * succeeds, destroys it when either side fails, and resolves once everything is written.
 */
async function writeTar<T>(fill: (pack: Pack) => Promise<T>, drain: (pack: Pack) => Promise<void>): Promise<T> {
  // Loaded when a tar is written: this module is imported at start-up by every CLI command and the server.
  const { default: tar } = await import('tar-stream');
  const pack = tar.pack();
  const written = drain(pack);
  written.catch(() => {});
  try {
    const result = await fill(pack);
    pack.finalize();
    await written;
    return result;
  } catch (err) {
    pack.destroy(err as Error);
    await written.catch(() => {});
    throw err;
  }
}
