/**
 * The row reader: streams the result of one SELECT as raw field bytes straight off the wire, with
 * no per-value JavaScript string or Buffer. mysql2 parses the packets; each row packet goes to a
 * RowEncoder (TSV for snapshots, SQL literals for `db:dump`) that writes into a ByteSink; full
 * chunks are handed to the consumer as an async iterable. Memory stays bounded: when more than
 * `highWaterBytes` wait for the consumer, the connection's socket is paused (TCP backpressure
 * reaches the server) and resumed once the consumer has caught up.
 *
 * Field bytes are exactly what the server sends, so run the SELECT on a connection with
 * character_set_results = binary (useBinaryResults) to get stored bytes, not transcoded ones.
 *
 * mysql2 has no public raw-row API; the reader replaces the `row` state of its Query command (a
 * state machine whose handlers return the next handler). The round-trip tests pin that behaviour.
 */
import type { InternalPacket, InternalQuery, MysqlConnection } from './connection.ts';

/** One row: field i is buffer[start[i], end[i]), or NULL when start[i] === -1. Valid only during encodeRow. */
export interface RawRow {
  buffer: Buffer;
  count: number;
  start: Int32Array;
  end: Int32Array;
}

/** Growable output an encoder writes into: make room with ensure(n), then write buf[pos++]. */
export class ByteSink {
  buf: Buffer;
  pos = 0;
  private readonly chunkBytes: number;
  private readonly emit: (chunk: Buffer) => void;

  constructor(chunkBytes: number, emit: (chunk: Buffer) => void) {
    this.chunkBytes = chunkBytes;
    this.emit = emit;
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Guarantees n writable bytes at pos (hands the filled part on first when needed). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(n, this.chunkBytes));
  }

  /** Hands the filled part on (nothing when empty) and starts a fresh buffer. */
  flush(): void {
    if (this.pos === 0) return;
    this.emit(this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(this.chunkBytes);
    this.pos = 0;
  }

  get full(): boolean {
    return this.pos >= this.chunkBytes;
  }
}

export interface RowEncoder {
  encodeRow(row: RawRow, out: ByteSink): void;
  /** Called once after the last row (e.g. to close an INSERT statement); not called on failure. */
  end?(out: ByteSink): void;
}

export interface RowStreamOptions {
  /** Size of the chunks handed out (default 1 MiB). */
  chunkBytes?: number;
  /** Bytes waiting for the consumer before the socket is paused (default 8 MiB). */
  highWaterBytes?: number;
}

/**
 * The encoded rows of one SELECT. Iterate it once; `rows` counts the rows read so far. If the
 * consumer stops early or the query fails, the connection is destroyed (a half-read result set
 * leaves it unusable) and the iteration rejects with the server's or the network's error.
 */
export class RowStream implements AsyncIterable<Buffer> {
  rows = 0;
  private readonly conn: MysqlConnection;
  private readonly sql: string;
  private readonly encoder: RowEncoder;
  private readonly chunkBytes: number;
  private readonly highWater: number;

  constructor(conn: MysqlConnection, sql: string, encoder: RowEncoder, opts: RowStreamOptions = {}) {
    this.conn = conn;
    this.sql = sql;
    this.encoder = encoder;
    this.chunkBytes = opts.chunkBytes ?? 1024 * 1024;
    this.highWater = opts.highWaterBytes ?? 8 * 1024 * 1024;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    const conn = this.conn;
    if (conn.fatal) throw conn.fatal;
    const queue: Buffer[] = [];
    let queued = 0;
    let paused = false;
    let finished = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const signal = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const sink = new ByteSink(this.chunkBytes, (chunk) => {
      queue.push(chunk);
      queued += chunk.length;
      if (!paused && queued >= this.highWater) {
        paused = true;
        conn.raw.pause();
      }
      signal();
    });
    const row: RawRow = { buffer: Buffer.alloc(0), count: 0, start: new Int32Array(16), end: new Int32Array(16) };
    const encoder = this.encoder;
    const stream = this;

    conn.streaming = true;
    const unwatch = conn.onDestroy((err) => {
      failure ??= err;
      finished = true;
      signal();
    });
    const query = conn.raw.query({ sql: this.sql }, (err: Error | null) => {
      unwatch();
      if (err) failure ??= err;
      finished = true;
      signal();
    }) as unknown as InternalQuery;
    const onRow = function (this: InternalQuery, packet: InternalPacket): unknown {
      try {
        if (packet.isEOF()) {
          encoder.end?.(sink);
          sink.flush();
          return this.done();
        }
        parseRow(packet, row);
        encoder.encodeRow(row, sink);
        stream.rows++;
        if (sink.full) sink.flush();
      } catch (err) {
        // An encoder bug must fail this stream, not the process (this runs inside mysql2's socket handler).
        failure ??= err instanceof Error ? err : new Error(String(err));
        conn.destroy();
      }
      return onRow;
    };
    // The packets of this query arrive on later I/O turns, so replacing the handler now is in time.
    query.row = onRow;

    try {
      for (;;) {
        const chunk = queue.shift();
        if (chunk) {
          queued -= chunk.length;
          if (paused && queued < this.highWater / 2) {
            paused = false;
            conn.raw.resume();
          }
          yield chunk;
          continue;
        }
        if (failure) throw failure;
        if (finished) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      unwatch();
      if (!finished) conn.destroy();
      conn.streaming = false;
    }
  }
}

/** Splits a text-protocol row packet into field offsets (length-encoded strings; 0xfb is NULL). */
function parseRow(packet: InternalPacket, row: RawRow): void {
  const b = packet.buffer;
  let o = packet.offset;
  const end = packet.end;
  let n = 0;
  let start = row.start;
  let stop = row.end;
  while (o < end) {
    if (n === start.length) {
      const s2 = new Int32Array(n * 2);
      const e2 = new Int32Array(n * 2);
      s2.set(start);
      e2.set(stop);
      row.start = start = s2;
      row.end = stop = e2;
    }
    let len = b[o++];
    if (len === 0xfb) {
      start[n] = -1;
      stop[n] = -1;
      n++;
      continue;
    }
    if (len === 0xfc) {
      len = b[o] | (b[o + 1] << 8);
      o += 2;
    } else if (len === 0xfd) {
      len = b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
      o += 3;
    } else if (len === 0xfe) {
      len = b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 2 ** 32;
      o += 8;
    }
    start[n] = o;
    o += len;
    stop[n] = o;
    n++;
  }
  row.buffer = b;
  row.count = n;
}

/** Makes the connection's result sets carry stored bytes, untranscoded (and back: 'utf8mb4'). */
export async function useBinaryResults(conn: MysqlConnection, on = true): Promise<void> {
  await conn.query(`SET SESSION character_set_results = ${on ? 'binary' : 'utf8mb4'}`);
}
