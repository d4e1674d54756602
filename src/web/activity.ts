/**
 * Activities in the console: their names and states in words, a live panel (state, phase, a
 * progress bar with percent, bytes and files), and `watchActivity`, which polls GET
 * /activities/{id} about every 500 ms while the activity is pending or in progress. Whether the user
 * may cancel one is the server's answer (`Activity.canCancel`).
 */
import type { Activity } from '../server/api-types.ts';
import { api, ApiFailure, seg, Unreachable } from './api.ts';
import { h } from './dom.ts';
import { formatBytes, formatCount, formatDuration, timeEl } from './format.ts';

export const POLL_MS = 500;
/** While the server cannot be reached, ask less often. */
const RETRY_MS = 2000;

const KIND_LABELS: Record<string, string> = { create: 'Backup', scheduled: 'Scheduled backup', restore: 'Restore', delete: 'Delete', expire: 'Expire' };
const STATE_LABELS: Record<string, string> = { pending: 'queued', in_progress: 'running', succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled' };

export const kindLabel = (kind: string) => KIND_LABELS[kind] ?? kind;
export const stateLabel = (state: string) => STATE_LABELS[state] ?? state;
export const isOpen = (a: Activity) => a.state === 'pending' || a.state === 'in_progress';

export function stateBadge(a: Activity): HTMLElement {
  return h('span', { class: `badge state-${a.state}`, 'data-state': a.state }, stateLabel(a.state));
}

/** "12.5 % · 3.1 MiB of 24 MiB · 12 of 40 files", or what is known of it. */
export function progressText(a: Activity): string {
  const p = a.progress;
  if (!p) return isOpen(a) ? 'starting…' : '';
  const parts: string[] = [];
  if (p.percent !== undefined) parts.push(`${p.percent} %`);
  parts.push(p.totalBytes !== undefined ? `${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}` : formatBytes(p.bytes));
  parts.push(p.totalFiles !== undefined ? `${formatCount(p.files)} of ${formatCount(p.totalFiles)} files` : `${formatCount(p.files)} file${p.files === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

export function durationOf(a: Activity): string {
  if (a.startedAt === null) return '';
  return formatDuration((a.finishedAt ?? Date.now()) - a.startedAt);
}

/** A <progress>: determinate with a percent, indeterminate while running without one, full when done. */
export function progressBar(a: Activity): HTMLProgressElement {
  const bar = h('progress', { max: '100', 'aria-label': `${kindLabel(a.kind)} progress` });
  if (a.state === 'succeeded') bar.value = 100;
  else if (a.progress?.percent !== undefined) bar.value = a.progress.percent;
  else if (!isOpen(a)) bar.value = 0;
  else bar.removeAttribute('value');
  return bar;
}

/** What a succeeded activity did, in one line. */
export function resultText(a: Activity): string {
  const r = a.result ?? {};
  const short = (v: unknown) => String(v).slice(0, 8);
  switch (a.kind) {
    case 'create':
    case 'scheduled':
      return r.snapshotId ? `snapshot ${short(r.snapshotId)} saved${typeof r.bytes === 'number' ? ` (${formatBytes(r.bytes)})` : ''}` : '';
    case 'restore':
      return r.snapshotId ? `snapshot ${short(r.snapshotId)} restored into ${String(r.target ?? a.environment)}` : '';
    case 'delete':
      return r.snapshotId ? `snapshot ${short(r.snapshotId)} deleted` : '';
    case 'expire':
      return Array.isArray(r.removed) ? `${r.removed.length} snapshot(s) expired${typeof r.kept === 'number' ? `, ${r.kept} kept` : ''}` : '';
    default:
      return '';
  }
}

/** The panel of one activity; call again with a newer state to re-render. */
export function activityPanel(a: Activity, extra: (HTMLElement | null)[] = []): HTMLElement {
  const open = isOpen(a);
  const lines: (HTMLElement | string | null)[] = [
    h('p', { class: 'activity-head' }, h('strong', null, kindLabel(a.kind)), ' ', stateBadge(a), a.user ? h('span', { class: 'muted' }, ` by ${a.user}`) : null, ' ', h('span', { class: 'muted' }, 'started ', timeEl(a.startedAt ?? a.createdAt))),
    progressBar(a),
    h('p', { class: 'activity-progress' }, a.progress?.phase ? h('span', { class: 'phase' }, `${a.progress.phase}: `) : null, progressText(a), open || !a.startedAt ? '' : ` · took ${durationOf(a)}`),
  ];
  if (a.state === 'succeeded') lines.push(h('p', { class: 'activity-result' }, resultText(a)));
  if (a.error) lines.push(h('p', { class: 'activity-error' }, a.error));
  return h('div', { class: `activity-panel state-${a.state}`, 'data-activity': a.id, 'data-state': a.state }, lines, ...extra);
}

export interface Watch {
  stop(): void;
}

/**
 * Polls the activity until it is succeeded, failed or cancelled, calling `update` with every state
 * (the first call right away) and `done` once at the end. Keeps trying while the server is
 * unreachable; gives up on any other error (shown through `failed`).
 */
export function watchActivity(id: string, update: (a: Activity) => void, done: (a: Activity) => void, failed: (err: unknown) => void): Watch {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    timer = undefined;
    let a: Activity;
    try {
      a = await api.get<Activity>(`/activities/${seg(id)}`);
    } catch (err) {
      if (stopped) return;
      if (err instanceof Unreachable) {
        timer = setTimeout(tick, RETRY_MS);
        return;
      }
      if (!(err instanceof ApiFailure && err.status === 401)) failed(err);
      return;
    }
    if (stopped) return;
    update(a);
    if (isOpen(a)) timer = setTimeout(tick, POLL_MS);
    else done(a);
  };
  void tick();
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
