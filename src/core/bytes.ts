/** Byte helpers for the hot path. */

/** `d` itself when it spans its whole ArrayBuffer, else an exact-size copy; such a buffer can be transferred between threads. */
export function owned(d: Uint8Array): Uint8Array {
  if (d.byteOffset === 0 && d.buffer.byteLength === d.byteLength && !(d.buffer instanceof SharedArrayBuffer)) return d;
  const c = new Uint8Array(d.byteLength);
  c.set(d);
  return c;
}

/**
 * A path joined from parts into a buffer of its own, not a slice of Buffer's shared pool: the walks
 * keep paths alive for a while (a file in flight, a directory until its contents are done), and one
 * live slice keeps its whole 64 KiB pool slab from being freed — thousands of such slabs were tens
 * of MiB of a restore's peak memory.
 */
export function joinPath(...parts: Uint8Array[]): Buffer {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = Buffer.allocUnsafeSlow(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

const ZERO = new Uint8Array(64 * 1024);

/** Whether every byte is zero (a hole candidate when restoring sparse files). */
export function isAllZero(d: Uint8Array): boolean {
  const z = Buffer.from(ZERO.buffer);
  const b = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  for (let o = 0; o < b.length; o += ZERO.length) {
    const n = Math.min(ZERO.length, b.length - o);
    if (b.compare(z, 0, n, o, o + n) !== 0) return false;
  }
  return true;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? Math.round(v) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}
