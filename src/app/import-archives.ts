/**
 * Use case `snapshot:import`: backup archives → one new environment snapshot, restorable and
 * exportable like any other. Reads Magento's archives (<t>_db.sql.gz, <t>_snapshot.tgz,
 * _nomedia.tgz, _media.tgz, see policy/magento-archives.ts) and plain SQL dumps (.sql, .sql.gz):
 * at most one tar archive (its members at the environment's root paths, the database as a
 * var/<t>_db.sql member) and at most one SQL dump (the database, when the archive has none).
 *
 * Nothing is written to the repository before everything has been read once:
 *   1. check   the tar archive read to its end (gzip CRC, tar structure, every member's path) into
 *              a checker that applies the snapshot tree's rules without storing anything; the SQL
 *              (the member, or the separate dump) loaded on the way into a scratch database on the
 *              environment's MySQL/MariaDB server (sources/mysql/scratch-database.ts), so the
 *              server's own parser judges it. Any failure ends here: no snapshot, scratch dropped.
 *   2. store   createEnvironmentSnapshot with the archive's members as the mounts (read a second
 *              time, now into the repository) and the scratch database captured as the
 *              environment's database; the manifest, written last, records the files imported.
 *   3. always  the scratch database dropped.
 *
 * Members outside the environment's mounts (Magento's own archives also hold its code) and members
 * its exclude patterns leave out are not imported: counted, and reported as one warning.
 */
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { EnvironmentConfig, MysqlDatabaseConfig, ProjectConfig } from '../config/project-config.ts';
import { EnvsnapError } from '../core/errors.ts';
import { backupScope, backupTypeOfContents, mediaPlace, type EnvironmentBackupType } from '../policy/backup-types.ts';
import { isMagentoDatabaseMember, parseImportFileName, type ImportFileKind } from '../policy/magento-archives.ts';
import type { Repository } from '../repo/repository.ts';
import { EntryTreeBuilder } from '../snapshot/entry-tree.ts';
import type { Snapshot } from '../snapshot/manifest.ts';
import { archiveReadError, readArchiveFile } from '../sources/archive/archive-file.ts';
import { memberPlace, TarSource, type TarScan, type TarSourceSettings } from '../sources/archive/tar-source.ts';
import { compileExcludes } from '../sources/files/exclude.ts';
import type { ScratchDatabase, SqlLoadSummary } from '../sources/mysql/scratch-database.ts';
import type { CaptureOptions, FileTreeWriter } from '../sources/source.ts';
import type { AppContext } from './context.ts';
import { createEnvironmentSnapshot, FILES_DIR } from './create-environment-snapshot.ts';
import { mysqlSettings, protectedPaths, type SourceSpec } from './environment-sources.ts';

export interface ImportArchivesInput {
  project: ProjectConfig;
  env: EnvironmentConfig;
  /** The files as the user named them (relative to cwd, or absolute). */
  files: string[];
  cwd: string;
  /** archive (default): the snapshot's time is the Unix time an archive's name starts with, else now; now: the time of the import. */
  time?: 'archive' | 'now';
}

export interface ImportArchivesResult {
  snapshot: Snapshot;
  /** The SQL loaded: from which file (an archive member is named "<archive>:<member>"), statements run and left out. */
  database: { from: string } & SqlLoadSummary;
  /** The archive's members, when one was imported. */
  archive?: { file: string } & TarScan;
}

interface GivenFile {
  /** As the user named it, for messages. */
  name: string;
  path: string;
  kind: ImportFileKind;
}

export async function importArchives(ctx: AppContext, repo: Repository, input: ImportArchivesInput): Promise<ImportArchivesResult> {
  const { env } = input;
  const opts: CaptureOptions = { logger: ctx.logger, progress: ctx.progress };
  const given = await checkFiles(input.files, input.cwd);
  const archive = given.find((g) => g.kind.kind === 'tar');
  const dump = given.find((g) => g.kind.kind === 'sql');
  const db = env.databases.find((d): d is MysqlDatabaseConfig => d.kind === 'mysql');
  if (!db) {
    throw new EnvsnapError('CONFIG', `environment ${env.name} has no MySQL/MariaDB database to import the dump into: add one under database: in envsnap.yaml`);
  }
  const settings = mysqlSettings(env, db);
  const archiveTime = archive?.kind.time ?? dump?.kind.time;
  if (archive?.kind.time !== undefined && dump?.kind.time !== undefined && archive.kind.time !== dump.kind.time) {
    ctx.logger.warn(`${archive.name} and ${dump.name} carry different times: the snapshot takes the archive's`);
  }
  const time = input.time !== 'now' && archiveTime !== undefined ? archiveTime * 1000 : ctx.clock.now();
  const tarSettings: Omit<TarSourceSettings, 'onDatabase'> | undefined = archive && {
    name: archive.name,
    path: archive.path,
    gzip: archive.kind.gzip,
    mounts: env.mounts,
    exclude: compileExcludes([...env.exclude, ...protectedPaths(env)]),
    isDatabase: (p) => isMagentoDatabaseMember(p, archive.kind.time),
  };

  const { ScratchDatabase } = await import('../sources/mysql/scratch-database.ts');
  let scratch: ScratchDatabase | undefined;
  try {
    // 1. check everything, loading the SQL into the scratch database on the way
    let loaded: ImportArchivesResult['database'] | undefined;
    const load = async (from: string, data: AsyncIterable<Buffer>) => {
      scratch ??= await ScratchDatabase.create(settings);
      loaded = { from, ...(await scratch.load(data, from, opts)) };
    };
    let scan: TarScan | undefined;
    const contents = { media: false, other: false };
    if (archive && tarSettings) {
      const source = new TarSource({
        ...tarSettings,
        onDatabase: async (member, data) => {
          if (dump) throw new EnvsnapError('INVALID_ARGUMENT', `${archive.name} holds its database (${member}) and ${dump.name} was given too: import one database, leave ${dump.name} out or import it on its own`);
          if (loaded) throw new EnvsnapError('INVALID_ARGUMENT', `${archive.name} holds two database dumps (${loaded.from.slice(archive.name.length + 1)} and ${member}): name the archive <time>_snapshot.tgz after the one to import`);
          await load(`${archive.name}:${member}`, data);
        },
      });
      const writer = noticingMedia(EntryTreeBuilder.checker().fileTreeWriter(FILES_DIR, { dirMeta: { mode: 0o755, uid: 0, gid: 0, mtimeNs: '0' } }), env.mounts, contents);
      try {
        await source.open(opts);
        scan = (await source.capture(writer, opts)).details as unknown as TarScan;
      } finally {
        await source.close();
      }
    }
    if (dump) await load(dump.name, readArchiveFile(dump.path, dump.name, { gzip: dump.kind.gzip }));
    if (!loaded || !scratch) {
      throw new EnvsnapError('INVALID_ARGUMENT', `${archive!.name} holds no database (var/<time>_db.sql): give the database dump alongside, e.g. "envsnap snapshot:import -e ${env.name} ${archive!.name} <time>_db.sql.gz"`);
    }
    const database = loaded;
    if (database.skippedCount > 0) ctx.logger.info(`${database.from}: left out ${database.skippedCount} statement(s) that act outside one database: ${database.skipped.join(', ')}`);
    if (scan && scan.outside + scan.excluded + scan.unsupported > 0) {
      const parts = [
        ...(scan.outside ? [`${scan.outside} outside the mounts of ${env.name} (${scan.outsideExamples.join(', ')}${scan.outsideTops > scan.outsideExamples.length ? ', …' : ''})`] : []),
        ...(scan.excluded ? [`${scan.excluded} matching its exclude patterns`] : []),
        ...(scan.unsupported ? [`${scan.unsupported} of a kind envsnap does not keep`] : []),
      ];
      ctx.logger.warn(`${archive!.name}: ${parts.join('; ')} — not imported (mounts: ${env.mounts.join(', ')})`);
    }

    // 2. store
    const { type, excludeMedia } = backupTypeOfContents(env.mounts, contents);
    const mounts = type === 'db' ? [] : type === 'db-media' ? backupScope(env, 'db-media').mounts : (scan?.mounts ?? []);
    const loadedInto = scratch;
    const spec: SourceSpec = {
      kind: 'mysql',
      id: db.id,
      name: settings.name,
      create: async () => loadedInto.source(),
      createSink: async () => new (await import('../sources/mysql/mysql-sink.ts')).MysqlSink(settings),
    };
    const snapshot = await createEnvironmentSnapshot(ctx, repo, {
      project: input.project.project,
      env: { ...env, mounts, exclude: env.exclude },
      sources: [spec],
      skipped: leftOut(env, db, type),
      trigger: 'manual',
      backupType: type,
      ...(excludeMedia ? { excludeMedia: true } : {}),
      ...(mounts.length > 0 && tarSettings ? { mountsFrom: new TarSource(tarSettings) } : {}),
      imported: { time, files: given.map((g) => basename(g.path)) },
    });
    return { snapshot, database, ...(scan && archive ? { archive: { file: archive.name, ...scan } } : {}) };
  } finally {
    // 3. always
    await (scratch as ScratchDatabase | undefined)?.drop().catch((err: Error) => ctx.logger.warn(err.message));
  }
}

/** The files as given: each of a known kind and readable, at most one archive and one SQL dump. */
async function checkFiles(files: string[], cwd: string): Promise<GivenFile[]> {
  const given: GivenFile[] = [];
  for (const name of files) {
    const kind = parseImportFileName(basename(name));
    if (!kind) {
      throw new EnvsnapError(
        'INVALID_ARGUMENT',
        `${name}: unknown kind of file: snapshot:import reads SQL dumps (.sql, .sql.gz) and tar archives (.tgz, .tar.gz, .tar), such as Magento's <time>_db.sql.gz, _snapshot.tgz, _media.tgz and _nomedia.tgz`,
      );
    }
    const path = resolve(cwd, name);
    const st = await stat(path).catch((err: unknown) => Promise.reject(archiveReadError(err, name)));
    if (!st.isFile()) throw new EnvsnapError('INVALID_ARGUMENT', `${name} is not a file: name the archive file itself`);
    given.push({ name, path, kind });
  }
  for (const k of ['tar', 'sql'] as const) {
    const same = given.filter((g) => g.kind.kind === k);
    if (same.length > 1) {
      throw new EnvsnapError('INVALID_ARGUMENT', `${same.map((g) => g.name).join(' and ')} are both ${k === 'tar' ? 'archives' : 'SQL dumps'}: one snapshot is made of at most one archive and one SQL dump; import them one at a time`);
    }
  }
  return given;
}

/** A writer that notes whether the files in the mounts include pub/media and anything else (for the backup type). */
function noticingMedia(inner: FileTreeWriter, mounts: readonly string[], seen: { media: boolean; other: boolean }): FileTreeWriter {
  const note = (path: string) => {
    if (memberPlace(path, mounts) !== 'inside') return; // a folder above the mounts (app/ for app/etc)
    const place = mediaPlace(path);
    if (place === 'media') seen.media = true;
    else if (place === 'other') seen.other = true;
  };
  return {
    writeFile: (path, data, meta) => {
      note(path);
      return inner.writeFile(path, data, meta);
    },
    addEntry: (path, entry) => {
      note(path);
      inner.addEntry(path, entry);
    },
  };
}

/** What an import leaves out of the environment, for the manifest's skipped list. */
function leftOut(env: EnvironmentConfig, db: MysqlDatabaseConfig, type: EnvironmentBackupType): string[] {
  return [
    ...env.databases.filter((d) => d !== db).map((d) => `database ${d.id} (a Magento backup holds one database)`),
    ...(type === 'system' ? env.redis.map((r) => `redis ${r.id} (not in a backup archive)`) : []),
  ];
}
