/**
 * Activities pages: an environment's list (GET /activities?environment=ENV, refreshed while one
 * runs) and one activity with its live state and log (GET /activities/{id} and /log?after=SEQ,
 * polled every 500 ms until it ends), with Cancel when the user may.
 */
import type { Activity, ActivityLogLine } from '../server/api-types.ts';
import { activityPanel, durationOf, isOpen, kindLabel, POLL_MS, progressText, stateBadge, watchActivity, type Watch } from './activity.ts';
import { api, ApiFailure, errorMessage, seg } from './api.ts';
import { routes, type AppContext, type View } from './context.ts';
import { h, replace } from './dom.ts';
import { refreshingView } from './refresh.ts';
import { envHeader } from './env-header.ts';
import { formatTime, timeEl } from './format.ts';

export function activitiesView(_ctx: AppContext, env: string): View {
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading…'));
  const root = h('section', { class: 'page activities' }, envHeader(env, null, 'activities'), h('section', { class: 'card' }, h('h2', null, 'Activities'), body));

  const render = (list: Activity[]) => {
    if (list.length === 0) return replace(body, h('p', { class: 'empty' }, `Nothing has happened on ${env} yet.`));
    replace(
      body,
      h(
        'table',
        { class: 'data activity-list' },
        h('caption', { class: 'visually-hidden' }, `Activities of ${env}, newest first`),
        h('thead', null, h('tr', null, ['Created', 'Kind', 'State', 'User', 'Progress', 'Duration', ''].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          null,
          list.map((a) =>
            h(
              'tr',
              { 'data-activity': a.id, 'data-kind': a.kind, 'data-state': a.state },
              h('td', { 'data-label': 'Created' }, timeEl(a.createdAt)),
              h('td', { 'data-label': 'Kind' }, kindLabel(a.kind)),
              h('td', { 'data-label': 'State' }, stateBadge(a)),
              h('td', { 'data-label': 'User' }, a.user ?? h('span', { class: 'muted' }, 'scheduler')),
              h('td', { 'data-label': 'Progress' }, a.error ? h('span', { class: 'error-text' }, a.error) : progressText(a)),
              h('td', { 'data-label': 'Duration' }, durationOf(a)),
              h('td', { class: 'actions' }, h('a', { href: routes.activity(a.id), 'aria-label': `Details and log of the ${kindLabel(a.kind).toLowerCase()} of ${formatTime(a.createdAt)}` }, 'Details')),
            ),
          ),
        ),
      ),
    );
  };

  return refreshingView(root, body, {
    load: () => api.get<Activity[]>(`/activities?environment=${seg(env)}&limit=50`),
    render,
    again: (list) => list.some(isOpen),
    everyMs: 2 * POLL_MS,
  });
}

export function activityView(ctx: AppContext, id: string): View {
  const head = h('div', null, h('p', { class: 'crumbs' }, h('a', { href: routes.home() }, 'Environments'), ' / '), h('h1', { tabindex: '-1' }, 'Activity'));
  const panel = h('div', { class: 'activity-region', 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading…'));
  const logList = h('ol', { class: 'log', 'aria-label': 'Activity log' });
  const logSection = h('section', { class: 'card' }, h('h2', null, 'Log'), logList);
  const root = h('section', { class: 'page activity' }, head, panel, logSection);
  let watch: Watch | undefined;
  let disposed = false;
  let lastSeq = 0;
  let headerDone = false;
  let logBusy = false;

  let logAgain = false;
  const fetchLog = async (): Promise<void> => {
    if (logBusy) {
      // Asked again while a fetch is out (the final state arrived): fetch once more after it.
      logAgain = true;
      return;
    }
    logBusy = true;
    logAgain = false;
    try {
      const lines = await api.get<ActivityLogLine[]>(`/activities/${seg(id)}/log?after=${lastSeq}`);
      if (disposed) return;
      for (const l of lines) {
        lastSeq = Math.max(lastSeq, l.seq);
        logList.appendChild(h('li', { class: `log-${l.level}` }, h('time', { datetime: new Date(l.at).toISOString() }, new Date(l.at).toISOString().slice(11, 23)), ' ', h('span', null, l.message)));
      }
    } catch {
      // The state poll reports errors; the log catches up on the next tick.
    } finally {
      logBusy = false;
    }
    if (logAgain && !disposed) await fetchLog();
  };

  const show = (a: Activity) => {
    if (!headerDone) {
      headerDone = true;
      replace(
        head,
        h('p', { class: 'crumbs' }, h('a', { href: routes.home() }, 'Environments'), ' / ', h('a', { href: routes.backups(a.environment) }, a.environment), ' / ', h('a', { href: routes.activities(a.environment) }, 'Activities'), ' / '),
        h('h1', { tabindex: '-1' }, `${kindLabel(a.kind)} of ${a.environment}`),
        h('p', { class: 'muted' }, 'Activity ', h('code', null, a.id), ', created ', timeEl(a.createdAt)),
      );
    }
    let cancel: HTMLElement | null = null;
    if (a.canCancel) {
      cancel = h('button', {
        type: 'button',
        class: 'secondary small',
        onclick: async () => {
          try {
            await api.post(`/activities/${seg(a.id)}/cancel`);
          } catch (err) {
            ctx.flash(errorMessage(err), 'error');
          }
        },
      }, 'Cancel');
    }
    replace(panel, activityPanel(a, [cancel]));
    void fetchLog();
  };

  watch = watchActivity(
    id,
    show,
    () => void fetchLog(),
    (err) => {
      if (disposed) return;
      replace(panel, h('p', { class: 'error-text', role: 'alert' }, err instanceof ApiFailure && err.status === 404 ? `There is no activity ${id} (or it is of an environment you may not see).` : errorMessage(err)));
    },
  );
  return {
    el: root,
    dispose() {
      disposed = true;
      watch?.stop();
    },
  };
}
