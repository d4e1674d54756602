/**
 * An environment's Backups page: the Backup form (type, live), the panel of the running activity
 * (polled until it ends), and the table of snapshots with a menu per row — Restore (a dialog that
 * asks for the environment's name), Pin/Unpin, Export download, Delete; its columns are those of
 * `snapshot:list`. The page shows only what the user's permissions allow; the server checks every
 * action again, and after a 403 the page asks for the user's permissions anew.
 */
import type { Activity, EnvironmentView, SnapshotRow } from '../server/api-types.ts';
import { activityPanel, isOpen, kindLabel, resultText, watchActivity, type Watch } from './activity.ts';
import { api, ApiFailure, errorMessage, seg } from './api.ts';
import { permissionsOn, routes, type AppContext, type View } from './context.ts';
import { confirmDialog } from './dialogs.ts';
import { h, replace, uid } from './dom.ts';
import { envHeader } from './env-header.ts';
import { BACKUP_TYPES, expiresEl, formatBytes, timeEl } from './format.ts';

export function backupsView(ctx: AppContext, env: string): View {
  let perms = permissionsOn(ctx.me, env);
  const root = h('section', { class: 'page backups' }, envHeader(env, null, 'backups'), h('p', { class: 'loading' }, 'Loading…'));
  let watch: Watch | undefined;
  let disposed = false;
  let envView: EnvironmentView<Activity> | null = null;
  let running: Activity | null = null;
  let snapshots: SnapshotRow[] = [];

  // --- the Backup form ---
  const typeId = uid('backup-type');
  const liveId = uid('backup-live');
  const reasonId = uid('backup-reason');
  const typeSelect = h('select', { id: typeId, name: 'type' }, BACKUP_TYPES.map((t) => h('option', { value: t.value }, t.label)));
  const liveBox = h('input', { id: liveId, type: 'checkbox', name: 'live' });
  const backupButton = h('button', { type: 'submit', class: 'primary', 'aria-describedby': reasonId }, 'Back up now');
  const reason = h('p', { id: reasonId, class: 'reason', hidden: true });
  const backupForm = h(
    'form',
    { class: 'backup-form', 'aria-label': `Back up ${env}` },
    h('div', { class: 'field' }, h('label', { for: typeId }, 'Type'), typeSelect),
    h('div', { class: 'field check' }, liveBox, h('label', { for: liveId }, 'Live ', h('span', { class: 'muted' }, '(no maintenance mode; the shop stays online)'))),
    h('div', { class: 'field' }, backupButton),
    reason,
  );
  backupForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void startBackup();
  });

  const activityRegion = h('div', { class: 'activity-region', 'aria-live': 'polite' });
  const tableRegion = h('div', { class: 'table-region' });

  function backupBlocked(): string | null {
    if (!perms.has('backup')) return `Your role (${ctx.me.role}) may not take backups of ${env}: ask an admin for the contributor or admin role.`;
    if (envView && !envView.manualSnapshots.allowed) return envView.manualSnapshots.reason ?? `Manual snapshots are not allowed for ${env}.`;
    if (running && isOpen(running)) return `A ${kindLabel(running.kind).toLowerCase()} is running on ${env}: wait for it to finish.`;
    return null;
  }

  function renderBackupState(): void {
    const why = backupBlocked();
    backupButton.disabled = why !== null;
    typeSelect.disabled = why !== null;
    liveBox.disabled = why !== null;
    reason.hidden = why === null;
    reason.textContent = why ?? '';
  }

  function renderActivity(a: Activity | null): void {
    running = a;
    renderBackupState();
    if (!a) return replace(activityRegion);
    let cancel: HTMLElement | null = null;
    if (a.canCancel) {
      cancel = h('button', { type: 'button', class: 'secondary small', onclick: () => void cancelActivity(a) }, 'Cancel');
    }
    const log = h('a', { href: routes.activity(a.id), class: 'small' }, 'View log');
    replace(activityRegion, h('h2', { class: 'visually-hidden' }, 'Current activity'), activityPanel(a, [h('p', { class: 'activity-links' }, log, cancel ? ' ' : null, cancel)]));
  }

  /**
   * Shows why an action failed. A 403 means the page offered what the user's role no longer allows
   * (it changed since the page loaded): the page asks GET /me again and stops offering it.
   */
  async function actionFailed(err: unknown): Promise<void> {
    ctx.flash(errorMessage(err), 'error');
    if (!(err instanceof ApiFailure && err.status === 403)) return;
    try {
      await ctx.refreshMe();
    } catch {
      return; // The message shown is the one that matters; the next load tells the rest.
    }
    if (disposed) return;
    perms = permissionsOn(ctx.me, env);
    renderBackupState();
    renderTable();
  }

  async function cancelActivity(a: Activity): Promise<void> {
    try {
      await api.post(`/activities/${seg(a.id)}/cancel`);
    } catch (err) {
      void actionFailed(err);
    }
  }

  function follow(id: string): void {
    watch?.stop();
    watch = watchActivity(
      id,
      (a) => renderActivity(a),
      (a) => {
        if (a.state === 'succeeded') ctx.flash(`${kindLabel(a.kind)} of ${a.environment} finished: ${resultText(a)}.`, 'success');
        else ctx.flash(`${kindLabel(a.kind)} of ${a.environment} ${a.state}${a.error ? `: ${a.error}` : '.'}`, 'error');
        void reload();
      },
      (err) => ctx.flash(errorMessage(err), 'error'),
    );
  }

  async function startBackup(): Promise<void> {
    if (backupBlocked()) return;
    backupButton.disabled = true;
    try {
      const r = await api.post<{ activityId: string }>(`/environments/${seg(env)}/snapshots`, { type: typeSelect.value, live: liveBox.checked });
      ctx.clearFlash();
      follow(r.activityId);
    } catch (err) {
      void actionFailed(err);
      renderBackupState();
    }
  }

  // --- the snapshot table ---
  function renderTable(): void {
    if (snapshots.length === 0) {
      replace(tableRegion, h('p', { class: 'empty' }, `No snapshots of ${env} yet.`));
      return;
    }
    const rows = [...snapshots].reverse().map((s) => snapshotRow(s));
    replace(
      tableRegion,
      h(
        'table',
        { class: 'data snapshots' },
        h('caption', { class: 'visually-hidden' }, `Snapshots of ${env}, newest first`),
        h('thead', null, h('tr', null, COLUMNS.map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h('tbody', null, rows),
      ),
    );
  }

  function snapshotRow(s: SnapshotRow): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-snapshot': s.id },
      h('td', { 'data-label': 'Created' }, timeEl(s.created)),
      h('td', { 'data-label': 'Snapshot ID' }, h('code', { title: s.id }, s.shortId), s.pinned ? h('span', { class: 'badge pinned' }, 'pinned') : null, s.partial ? h('span', { class: 'badge warn' }, 'partial') : null),
      h('td', { 'data-label': 'Restorable' }, s.restorable ? 'yes' : h('span', { class: 'muted', title: s.notRestorable?.detail ?? '' }, `no (${s.notRestorable?.cause ?? 'expired'})`)),
      h('td', { 'data-label': 'Type' }, s.type),
      h('td', { 'data-label': 'Automated' }, yesNo(s.automated)),
      h('td', { 'data-label': 'Live' }, yesNo(s.live)),
      h('td', { 'data-label': 'Size', class: 'num' }, formatBytes(s.size)),
      h('td', { 'data-label': 'Expires' }, expiresEl(s.expires)),
      h('td', { class: 'actions' }, rowMenu(s)),
    );
  }

  function rowMenu(s: SnapshotRow): HTMLElement | null {
    const items: HTMLElement[] = [];
    if (perms.has('rollback')) items.push(h('button', { type: 'button', onclick: () => void restore(s) }, 'Restore…'));
    if (perms.has('pin')) items.push(h('button', { type: 'button', onclick: () => void pin(s, !s.pinned) }, s.pinned ? 'Unpin' : 'Pin'));
    if (perms.has('export')) {
      items.push(h('a', { href: `/api/v1/environments/${seg(env)}/snapshots/${seg(s.id)}/export`, download: `${env}-${s.shortId}.tar.gz` }, 'Download export (.tar.gz)'));
    }
    if (perms.has('delete')) items.push(h('button', { type: 'button', class: 'danger-text', onclick: () => void remove(s) }, 'Delete…'));
    if (items.length === 0) return null;
    const details = h('details', { class: 'menu' }, h('summary', { 'aria-label': `Actions for snapshot ${s.shortId}` }, 'Actions'), h('div', { class: 'menu-items' }, items));
    details.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && details.open) {
        details.open = false;
        details.querySelector('summary')?.focus();
      }
    });
    details.addEventListener('toggle', () => {
      // One menu open at a time.
      if (details.open) for (const other of root.querySelectorAll<HTMLDetailsElement>('details.menu[open]')) if (other !== details) other.open = false;
    });
    details.addEventListener(
      'click',
      (e) => {
        // A chosen item closes the menu; focus goes to its summary first (in the capture phase, before
        // the item's action), so a dialog the item opens gives focus back there when it closes.
        if (!(e.target as HTMLElement).closest('.menu-items button, .menu-items a')) return;
        details.querySelector('summary')?.focus();
        details.open = false;
      },
      true,
    );
    return details;
  }

  async function restore(s: SnapshotRow): Promise<void> {
    const parts = (s.sources ?? []).map((src) => sourceLabel(src.kind, src.id, s.paths));
    const ok = await confirmDialog({
      title: `Restore ${env} from snapshot ${s.shortId}?`,
      body: [
        h('p', null, 'This overwrites ', h('strong', null, `the current database, Redis and mounts of ${env}`), ' with their state in the snapshot taken ', timeEl(s.created), '. Whatever changed in them since is lost.'),
        parts.length ? h('p', null, 'The snapshot holds:') : null,
        parts.length ? h('ul', { class: 'sources' }, parts.map((p) => h('li', null, p))) : null,
        h('p', { class: 'muted' }, `${env} is in maintenance mode (when it has one configured) while the restore runs.`),
      ],
      confirmLabel: `Restore ${env}`,
      danger: true,
      typeToConfirm: env,
    });
    if (!ok) return;
    try {
      const r = await api.post<{ activityId: string }>(`/environments/${seg(env)}/snapshots/${seg(s.id)}/restore`, {});
      ctx.clearFlash();
      follow(r.activityId);
    } catch (err) {
      void actionFailed(err);
    }
  }

  async function pin(s: SnapshotRow, pinned: boolean): Promise<void> {
    try {
      const path = `/environments/${seg(env)}/snapshots/${seg(s.id)}/pin`;
      const row = pinned ? await api.put<SnapshotRow>(path) : await api.delete<SnapshotRow>(path);
      snapshots = snapshots.map((x) => (x.id === row.id ? row : x));
      renderTable();
      ctx.flash(`Snapshot ${s.shortId} ${pinned ? 'pinned: it never expires' : 'unpinned: it expires by the retention policy again'}.`, 'success');
    } catch (err) {
      void actionFailed(err);
    }
  }

  async function remove(s: SnapshotRow): Promise<void> {
    const ok = await confirmDialog({
      title: `Delete snapshot ${s.shortId}?`,
      body: [h('p', null, 'The snapshot of ', h('strong', null, env), ' taken ', timeEl(s.created), ' is deleted from the repository; this cannot be undone.'), s.pinned ? h('p', { class: 'warn-text' }, 'It is pinned.') : null],
      confirmLabel: 'Delete snapshot',
      danger: true,
    });
    if (!ok) return;
    try {
      const r = await api.delete<{ activityId: string }>(`/environments/${seg(env)}/snapshots/${seg(s.id)}`);
      follow(r.activityId);
    } catch (err) {
      void actionFailed(err);
    }
  }

  async function reload(): Promise<void> {
    try {
      const [v, rows] = await Promise.all([api.get<EnvironmentView<Activity>>(`/environments/${seg(env)}`), api.get<SnapshotRow[]>(`/environments/${seg(env)}/snapshots`)]);
      if (disposed) return;
      envView = v;
      snapshots = rows;
      renderBackupState();
      renderTable();
    } catch (err) {
      if (!disposed) ctx.flash(errorMessage(err), 'error');
    }
  }

  async function load(): Promise<void> {
    let v: EnvironmentView<Activity>;
    let rows: SnapshotRow[];
    try {
      [v, rows] = await Promise.all([api.get<EnvironmentView<Activity>>(`/environments/${seg(env)}`), api.get<SnapshotRow[]>(`/environments/${seg(env)}/snapshots`)]);
    } catch (err) {
      if (disposed) return;
      const message = err instanceof ApiFailure && err.status === 404 ? `There is no environment ${env}.` : errorMessage(err);
      replace(root, envHeader(env, null, 'backups'), h('p', { class: 'error-text', role: 'alert' }, message));
      return;
    }
    if (disposed) return;
    envView = v;
    snapshots = rows;
    replace(
      root,
      envHeader(env, v, 'backups'),
      h('section', { class: 'card', 'aria-labelledby': `${typeId}-h` }, h('h2', { id: `${typeId}-h` }, 'Back up'), backupForm),
      activityRegion,
      h('section', { class: 'card' }, h('h2', null, 'Snapshots'), tableRegion),
    );
    renderBackupState();
    renderTable();
    if (v.activity) {
      renderActivity(v.activity);
      follow(v.activity.id);
    }
  }

  // A click elsewhere closes an open row menu.
  const closeMenus = (e: MouseEvent) => {
    for (const d of root.querySelectorAll<HTMLDetailsElement>('details.menu[open]')) if (!d.contains(e.target as Node)) d.open = false;
  };
  document.addEventListener('click', closeMenus);

  void load();
  return {
    el: root,
    dispose() {
      disposed = true;
      watch?.stop();
      document.removeEventListener('click', closeMenus);
    },
  };
}

/** The table's columns, as `snapshot:list` heads them (without its Environment: the page is of one). */
const COLUMNS = ['Created', 'Snapshot ID', 'Restorable', 'Type', 'Automated', 'Live', 'Size', 'Expires'];

/** Automated and Live: yes, no, or a dash for a snapshot that is not of an environment. */
function yesNo(b: boolean | null): HTMLElement | string {
  if (b === null) return h('span', { class: 'muted' }, '—');
  return b ? 'yes' : 'no';
}

function sourceLabel(kind: string, id: string, paths: string[]): string {
  switch (kind) {
    case 'files':
      return `files of the mounts ${paths.length ? paths.join(', ') : '(none)'}`;
    case 'mysql':
      return `MySQL/MariaDB database ${id}`;
    case 'sqlite':
      return `SQLite database ${id}`;
    case 'redis':
      return `Redis ${id}`;
    default:
      return `${kind} ${id}`;
  }
}
