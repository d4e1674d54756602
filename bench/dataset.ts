/**
 * The benchmark data set: a web shop's files (~2 GiB at scale 1) generated deterministically — incompressible
 * product media, compressible logs and a large SQL dump — and the "5 % change" applied to it in place.
 * A stamp file next to the data directory lets a later run reuse the data set, changing it back in
 * place first when a run left it changed.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Rng, randomBytes } from './random.ts';
import { LOG_KINDS, insertStatement, logText, sqlDump, type LogKind } from './text.ts';
import { treeStats } from './tree.ts';

const GENERATOR_VERSION = 1;
const SEED = 20_240_601;
const KiB = 1024;
const MiB = 1024 * KiB;
const DUMP_PATH = 'var/backups/db.sql';

export interface DatasetSpec {
  scale: number;
  mediaFiles: number;
  logFiles: number;
  logBytes: number;
  dumpBytes: number;
}

export interface ChangeSummary {
  mediaRewritten: number;
  mediaRewrittenBytes: number;
  mediaAdded: number;
  mediaAddedBytes: number;
  logsAppended: number;
  logBytesAppended: number;
  dumpRegionsRewritten: number;
  dumpBytesRewritten: number;
  dumpBlocksInserted: number;
  dumpBytesInserted: number;
}

/** File counts and sizes for a scale (1 = the full ~2 GiB set; media file sizes stay realistic at any scale). */
export function datasetSpec(scale: number): DatasetSpec {
  return {
    scale,
    mediaFiles: Math.max(10, Math.round(15_000 * scale)),
    logFiles: Math.max(6, Math.round(2_000 * scale)),
    logBytes: Math.round(150 * MiB * scale),
    dumpBytes: Math.round(500 * MiB * scale),
  };
}

interface PlannedFile {
  index: number;
  path: string;
  size: number;
}

const PRODUCT_WORDS = ['shirt', 'dress', 'bag', 'shoe', 'scarf', 'jacket', 'jeans', 'ring', 'mug', 'towel', 'pillow', 'chair', 'table', 'lamp', 'watch', 'hat'];
const COLORS = ['black', 'white', 'blue', 'red', 'green', 'grey', 'navy', 'beige', 'olive', 'rose'];
const CACHE_KEYS = ['0f3a9b5c1d2e4f60718293a4b5c6d7e8', '1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f', '7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d', 'e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9'];

function mediaFile(index: number): PlannedFile {
  const rng = Rng.derive(SEED, 1, index);
  const slug = `${rng.pick(COLORS)}-${rng.pick(PRODUCT_WORDS)}-${index}`;
  const area = rng.float();
  const shard = `${slug[0]}/${slug[1]}`;
  const path =
    area < 0.7
      ? `pub/media/catalog/product/${shard}/${slug}.jpg`
      : area < 0.95
        ? `pub/media/catalog/product/cache/${rng.pick(CACHE_KEYS)}/${shard}/${slug}.jpg`
        : `pub/media/wysiwyg/${rng.pick(['banners', 'cms', 'landing'])}/${slug}.jpg`;
  return { index, path, size: rng.logUniform(10_000, 400_000) };
}

const DAY_MS = 86_400_000;
const LOG_START_MS = Date.UTC(2024, 0, 1);
const CHANGE_MS = Date.UTC(2025, 0, 1);

function logFiles(spec: DatasetSpec): PlannedFile[] {
  const planned: PlannedFile[] = [];
  for (let i = 0; i < spec.logFiles; i++) {
    const kind = LOG_KINDS[i % LOG_KINDS.length];
    const day = new Date(LOG_START_MS + Math.floor(i / LOG_KINDS.length) * DAY_MS).toISOString().slice(0, 10);
    const path =
      i < LOG_KINDS.length
        ? `var/log/${kind === 'access' ? 'nginx/access' : kind}.log`
        : kind === 'access'
          ? `var/log/nginx/access.log-${day.replaceAll('-', '')}`
          : `var/log/archive/${day.slice(0, 4)}/${day.slice(5, 7)}/${kind}-${day}.log`;
    planned.push({ index: i, path, size: Rng.derive(SEED, 2, i).logUniform(4 * KiB, 1 * MiB) });
  }
  const total = planned.reduce((sum, f) => sum + f.size, 0);
  for (const f of planned) f.size = Math.round((f.size * spec.logBytes) / total);
  return planned;
}

function logKind(index: number): LogKind {
  return LOG_KINDS[index % LOG_KINDS.length];
}

/** A log file's content as generated (before any change). */
function generatedLog(file: PlannedFile): string {
  return logText(Rng.derive(SEED, 4, file.index), logKind(file.index), LOG_START_MS + file.index * 7_000, file.size);
}

function writeFile(root: string, rel: string, data: string | Uint8Array): void {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, data);
}

function stampPath(dir: string): string {
  return `${dir}.stamp.json`;
}

interface Stamp {
  version: number;
  spec: DatasetSpec;
  state: 'pristine' | 'changed';
  files: number;
  bytes: number;
}

function writeStamp(dir: string, stamp: Stamp): void {
  writeFileSync(stampPath(dir), JSON.stringify(stamp, null, 2) + '\n');
}

function readStamp(dir: string): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(stampPath(dir), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

function writeDump(path: string, spec: DatasetSpec): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    let pending: string[] = [];
    let pendingLength = 0;
    for (const piece of sqlDump(Rng.derive(SEED, 3), spec.dumpBytes)) {
      pending.push(piece);
      pendingLength += piece.length;
      if (pendingLength >= 8 * MiB) {
        writeSync(fd, pending.join(''));
        pending = [];
        pendingLength = 0;
      }
    }
    writeSync(fd, pending.join(''));
  } finally {
    closeSync(fd);
  }
}

/** Generates the data set into `dir` (replacing whatever is there). */
export function generateDataset(dir: string, spec: DatasetSpec, progress: (message: string) => void): { files: number; bytes: number } {
  rmSync(dir, { recursive: true, force: true });
  rmSync(stampPath(dir), { force: true });
  mkdirSync(dir, { recursive: true });
  progress(`generating ${spec.mediaFiles} media files`);
  for (let i = 0; i < spec.mediaFiles; i++) {
    const file = mediaFile(i);
    writeFile(dir, file.path, randomBytes(1, file.index, file.size));
  }
  progress(`generating ${spec.logFiles} log files`);
  for (const file of logFiles(spec)) {
    writeFile(dir, file.path, generatedLog(file));
  }
  progress(`generating the SQL dump (${(spec.dumpBytes / MiB).toFixed(0)} MiB)`);
  writeDump(join(dir, DUMP_PATH), spec);
  const stats = treeStats(dir);
  writeStamp(dir, { version: GENERATOR_VERSION, spec, state: 'pristine', ...stats });
  return stats;
}

/**
 * Reuses an unchanged data set generated earlier with the same spec; one a previous run changed is
 * changed back in place (revertChange); otherwise it is generated.
 */
export function ensureDataset(dir: string, spec: DatasetSpec, progress: (message: string) => void): { files: number; bytes: number; reused: boolean } {
  const stamp = readStamp(dir);
  if (stamp && stamp.version === GENERATOR_VERSION && JSON.stringify(stamp.spec) === JSON.stringify(spec) && existsSync(dir)) {
    if (stamp.state === 'changed') {
      progress('changing the data set back in place');
      revertChange(dir, spec);
    }
    const stats = treeStats(dir);
    if (stats.files === stamp.files && stats.bytes === stamp.bytes) {
      if (stamp.state === 'changed') writeStamp(dir, { ...stamp, state: 'pristine' });
      return { ...stats, reused: true };
    }
  }
  return { ...generateDataset(dir, spec, progress), reused: false };
}

/** `count` distinct integers from [0, n), in a deterministic order. */
function sample(rng: Rng, n: number, count: number): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = rng.int(i, n - 1);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}

function changeDump(path: string, spec: DatasetSpec, rng: Rng, summary: ChangeSummary): void {
  const dump = readFileSync(path);
  // Rewrite scattered regions in place: same length, digits rotated (values change, the text stays SQL).
  const regions = Math.max(4, Math.round(48 * spec.scale));
  for (let r = 0; r < regions; r++) {
    const length = rng.logUniform(256, 8 * KiB);
    const start = rng.int(0, dump.length - length);
    const shift = rng.int(1, 9);
    for (let i = start; i < start + length; i++) {
      const b = dump[i];
      if (b >= 0x30 && b <= 0x39) dump[i] = 0x30 + ((b - 0x30 + shift) % 10);
    }
    summary.dumpRegionsRewritten++;
    summary.dumpBytesRewritten += length;
  }
  // Insert new INSERT statements at line starts in the middle of the file, so later content shifts.
  const blocks = 4;
  const blockBytes = Math.max(16 * KiB, Math.round(1 * MiB * spec.scale));
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    let from = 0;
    for (let b = 1; b <= blocks; b++) {
      const at = dump.indexOf(0x0a, Math.floor((dump.length * b) / (blocks + 1))) + 1;
      writeSync(fd, dump, from, at - from);
      const block = Buffer.from(insertStatement(rng, b, 9_000_000 + b * 100_000, blockBytes).text);
      writeSync(fd, block);
      summary.dumpBlocksInserted++;
      summary.dumpBytesInserted += block.length;
      from = at;
    }
    writeSync(fd, dump, from, dump.length - from);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Applies the "5 % change" in place: about 3 % of media files rewritten, 2 % new media files, lines
 * appended to 20 % of the logs, and the SQL dump edited in place plus blocks inserted. Deterministic.
 */
export function applyChange(dir: string, spec: DatasetSpec): ChangeSummary & { files: number; bytes: number } {
  const stamp = readStamp(dir);
  if (stamp) writeStamp(dir, { ...stamp, state: 'changed' });
  const { rng, rewrittenMedia, addedMedia, appendedLogs, logs } = changePlan(spec);
  const summary: ChangeSummary = {
    mediaRewritten: 0,
    mediaRewrittenBytes: 0,
    mediaAdded: 0,
    mediaAddedBytes: 0,
    logsAppended: 0,
    logBytesAppended: 0,
    dumpRegionsRewritten: 0,
    dumpBytesRewritten: 0,
    dumpBlocksInserted: 0,
    dumpBytesInserted: 0,
  };
  for (const file of rewrittenMedia) {
    writeFile(dir, file.path, randomBytes(2, file.index, file.size));
    summary.mediaRewritten++;
    summary.mediaRewrittenBytes += file.size;
  }
  for (const file of addedMedia) {
    writeFile(dir, file.path, randomBytes(1, file.index, file.size));
    summary.mediaAdded++;
    summary.mediaAddedBytes += file.size;
  }
  for (const index of appendedLogs) {
    const text = Buffer.from(logText(rng, logKind(index), CHANGE_MS + index * 7_000, rng.logUniform(2 * KiB, 64 * KiB)));
    appendFileSync(join(dir, logs[index].path), text);
    summary.logsAppended++;
    summary.logBytesAppended += text.length;
  }
  changeDump(join(dir, DUMP_PATH), spec, rng, summary);
  return { ...summary, ...treeStats(dir) };
}

/**
 * What the change touches, drawn from its own random sequence (`rng`, continued by applyChange for
 * the appended text and the dump edits).
 */
function changePlan(spec: DatasetSpec) {
  const rng = Rng.derive(SEED, 9);
  const rewrittenMedia = sample(rng, spec.mediaFiles, Math.round(spec.mediaFiles * 0.03)).map(mediaFile);
  const addedMedia = Array.from({ length: Math.round(spec.mediaFiles * 0.02) }, (_, i) => mediaFile(1_000_000 + i));
  const logs = logFiles(spec);
  const appendedLogs = sample(rng, logs.length, Math.round(logs.length * 0.2));
  return { rng, rewrittenMedia, addedMedia, appendedLogs, logs };
}

/**
 * Undoes applyChange in place: the rewritten media and the appended logs get their generated content
 * back (in the same files), the dump is written again, the added media files are removed. A full
 * regeneration would delete some 17 000 files instead, and on ext4 without a journal, file creation
 * for minutes afterwards scans past recently freed inodes: the restores measured next would time the
 * file system's recovery rather than the tools.
 */
function revertChange(dir: string, spec: DatasetSpec): void {
  const { rewrittenMedia, addedMedia, appendedLogs, logs } = changePlan(spec);
  for (const file of rewrittenMedia) writeFile(dir, file.path, randomBytes(1, file.index, file.size));
  for (const file of addedMedia) {
    rmSync(join(dir, file.path), { force: true });
    removeEmptyParents(dir, dirname(file.path));
  }
  for (const index of appendedLogs) {
    const file = logs[index];
    writeFile(dir, file.path, generatedLog(file));
  }
  writeDump(join(dir, DUMP_PATH), spec);
}

/** Removes `rel` (relative to `root`) and its parents while they are empty. */
function removeEmptyParents(root: string, rel: string): void {
  for (let d = rel; d !== '.' && d !== ''; d = dirname(d)) {
    try {
      rmdirSync(join(root, d));
    } catch {
      return;
    }
  }
}
