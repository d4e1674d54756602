/**
 * `envsnap -e ENV snapshot:import FILE...`: Magento's backup archives (<t>_db.sql.gz,
 * <t>_snapshot.tgz, _media.tgz, _nomedia.tgz) or plain SQL dumps → one new snapshot of the
 * environment, listed, restored and exported like any other.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { importArchives, type ImportArchivesResult } from '../../app/import-archives.ts';
import { formatBytes } from '../../core/bytes.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { backupTypeLabel } from '../../policy/backup-types.ts';
import { Session } from '../session.ts';
import { printJson, printLine } from '../render.ts';

const timeChoice = (v: string): 'archive' | 'now' => {
  if (v !== 'archive' && v !== 'now') throw new InvalidArgumentError('choose archive or now');
  return v;
};

export function register(program: Command): void {
  program
    .command('snapshot:import')
    .argument('<files...>', "a Magento backup archive and/or an SQL dump: <time>_snapshot.tgz, _nomedia.tgz, _media.tgz, <time>_db.sql.gz, or any .tgz/.tar.gz/.tar, .sql.gz/.sql")
    .description("import Magento's backup archives or an SQL dump as a new snapshot of an environment (-e ENV)")
    .option('--time <when>', "the snapshot's time: archive = the Unix time the archive's name starts with (<time>_…), or the import's time when the name has none; now = the import's time", timeChoice, 'archive')
    .addHelpText(
      'after',
      `
What is read:
  <time>_db.sql.gz, any .sql.gz or .sql   the database: a mysqldump / mariadb-dump script of one
                                          database (or envsnap's db:dump / snapshot:export output)
  <time>_snapshot.tgz, _nomedia.tgz,      files at their paths under the shop's root (app/etc/…,
  _media.tgz, any .tgz, .tar.gz or .tar   pub/media/…, var/…) with their mode, owner, mtime,
                                          symlinks and hardlinks, and the database as the member
                                          var/<time>_db.sql — or give the .sql.gz alongside
At most one archive and one SQL dump, into one snapshot of the environment's first MySQL/MariaDB
database and its mounts. Members outside the mounts (Magento's own archives also hold the code)
and members the environment's exclude patterns match are not imported: they are counted in one
warning. The snapshot's type follows what it holds: db (no files), db-media (only pub/media) or
system ("system (no media)" without pub/media); it is recorded as manual and as imported, with the
names of the files.

The snapshot's time (--time archive, the default) is the archive's own: the Unix time its name
starts with. An old archive can therefore be due for expiry under the environment's retention
policy at once: pin it (envsnap snapshot:pin ID) to keep it, or import it with --time now.

Nothing is written to the repository until everything has been read: the archive once to its end
(a damaged or truncated gzip, a broken tar, a member with an absolute path or "..": one error, no
snapshot), and the SQL loaded into a scratch database <db>__envsnap_import_<hex> on the
environment's own server, whose parser judges it (a rejected statement is named by its line). The
archive is then read a second time into the repository and the scratch database captured as the
environment's database. The scratch database is always dropped; it needs the same privileges as a
restore: CREATE and DROP on databases named <db>__envsnap_*. Statements that would act outside one
database (USE, CREATE/DROP DATABASE) or on the whole server (SET GLOBAL, CHANGE MASTER) are skipped.

Errors (one line naming the file and what to do; nothing is imported): exit code 1 for an unknown
kind of file, a damaged or truncated file, an unsafe member, SQL the server rejects or a dump of
several databases; 21 when the database server cannot be reached; 20 for the configuration.
With the global --json the result (snapshot id, time, type, what was read and left out) goes to
stdout as JSON.

Examples:
  envsnap -e staging snapshot:import var/backups/1709287500_snapshot.tgz
  envsnap -e staging snapshot:import 1709287500_media.tgz 1709287500_db.sql.gz
  envsnap -e staging snapshot:import shop.sql.gz --time now
  envsnap snapshot:restore latest -e staging --yes`,
    )
    .action(async (files: string[], opts: { time: 'archive' | 'now' }, cmd: Command) => {
      const s = new Session(cmd);
      if (s.server()) throw new EnvsnapError('INVALID_ARGUMENT', 'snapshot:import reads local files into the repository: run it without --server (and without ENVSNAP_SERVER)');
      const { project, env } = await s.environment();
      const r = await s.withRepo((repo) => importArchives(s.ctx, repo, { project, env, files, cwd: process.cwd(), time: opts.time }));
      printImport(s, r);
    });
}

function printImport(s: Session, r: ImportArchivesResult): void {
  const snap = r.snapshot;
  const env = snap.environment!;
  if (s.out.json) {
    printJson({
      snapshotId: snap.id,
      shortId: snap.id.slice(0, 8),
      environment: snap.env,
      time: snap.time,
      backupType: env.backupType,
      ...(env.excludeMedia ? { excludeMedia: true } : {}),
      imported: env.imported,
      database: r.database,
      ...(r.archive ? { archive: r.archive } : {}),
      sources: env.sources,
      summary: snap.summary,
    });
    return;
  }
  if (s.out.quiet) return;
  const a = r.archive;
  if (a && snap.paths.length > 0) printLine(`${a.file}: ${a.files} files, ${a.dirs} directories, ${formatBytes(a.bytes)} into ${snap.paths.join(', ')}`);
  printLine(`${r.database.from}: ${r.database.statements} SQL statements (${formatBytes(r.database.bytes)}) into database ${env.sources.find((x) => x.kind === 'mysql')?.id ?? ''}`);
  const sm = snap.summary;
  printLine(`added to the repository: ${formatBytes(sm.addedBytes)} (${formatBytes(sm.storedBytes)} stored) of ${formatBytes(sm.bytes)} in ${(sm.durationMs / 1000).toFixed(1)} s`);
  printLine(`snapshot ${snap.id.slice(0, 8)} of ${snap.env} saved: ${backupTypeLabel(env.backupType ?? 'system', env.excludeMedia)}, time ${snap.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`);
}
