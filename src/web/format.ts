/**
 * How the console shows numbers, times and backup types: sizes in binary units (as the CLI), times
 * in the browser's time zone as "YYYY-MM-DD HH:MM" inside a <time> element whose title is the exact
 * UTC time.
 */
import type { ScheduleBody } from '../server/api-types.ts';
import { h } from './dom.ts';

/** The backup types a backup or a schedule may take, as the Type selects offer them. */
export const BACKUP_TYPES: { value: NonNullable<ScheduleBody['type']>; label: string }[] = [
  { value: 'system', label: 'System: database, Redis and every mount' },
  { value: 'db-media', label: 'Database and media' },
  { value: 'db', label: 'Database only' },
];

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(n || 0))} B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[i]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

const pad = (n: number) => String(n).padStart(2, '0');

export function formatTime(t: string | number | Date): string {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A <time> element, or a dash for no time. */
export function timeEl(t: string | number | null | undefined): HTMLElement {
  if (t === null || t === undefined) return h('span', { class: 'muted' }, '—');
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return h('span', null, String(t));
  return h('time', { datetime: d.toISOString(), title: d.toISOString() }, formatTime(d));
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A snapshot's Expires column: "never", "expired", a time, or a dash when no policy governs it. */
export function expiresEl(expires: string | null): HTMLElement {
  if (expires === null) return h('span', { class: 'muted' }, '—');
  if (expires === 'never' || expires === 'expired') return h('span', null, expires);
  return timeEl(expires);
}
