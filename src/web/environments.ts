/**
 * The home page: the environments the user may see, with type, plan, last snapshot, next scheduled
 * run and the running activity (refreshed every few seconds while one runs).
 */
import type { Activity, EnvironmentView } from '../server/api-types.ts';
import { kindLabel, isOpen, stateBadge } from './activity.ts';
import { api } from './api.ts';
import { routes, type AppContext, type View } from './context.ts';
import { h, replace } from './dom.ts';
import { refreshingView } from './refresh.ts';
import { timeEl } from './format.ts';

const REFRESH_MS = 3000;

export function environmentsView(_ctx: AppContext): View {
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading…'));
  const root = h('section', { class: 'page environments' }, h('h1', { tabindex: '-1' }, 'Environments'), body);

  const render = (envs: EnvironmentView<Activity>[]) => {
    if (envs.length === 0) {
      replace(body, h('p', { class: 'empty' }, 'You may not see any environment of this project: ask an admin for a role.'));
      return;
    }
    replace(
      body,
      h(
        'table',
        { class: 'data environments' },
        h('caption', { class: 'visually-hidden' }, 'Environments'),
        h('thead', null, h('tr', null, ['Name', 'Type', 'Plan', 'Last snapshot', 'Next scheduled run', 'Activity'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          null,
          envs.map((e) =>
            h(
              'tr',
              { 'data-environment': e.name },
              h('th', { scope: 'row', 'data-label': 'Name' }, h('a', { href: routes.backups(e.name) }, e.name)),
              h('td', { 'data-label': 'Type' }, e.type),
              h('td', { 'data-label': 'Plan' }, e.plan),
              h('td', { 'data-label': 'Last snapshot' }, e.lastSnapshot ? [timeEl(e.lastSnapshot.created), ' ', h('code', null, e.lastSnapshot.shortId), h('span', { class: 'muted' }, ` (${e.snapshotCount} in all)`)] : h('span', { class: 'muted' }, 'none')),
              h('td', { 'data-label': 'Next scheduled run' }, e.nextScheduledRun ? timeEl(e.nextScheduledRun) : h('span', { class: 'muted' }, 'no schedule')),
              h('td', { 'data-label': 'Activity' }, e.activity ? h('a', { href: routes.activity(e.activity.id) }, kindLabel(e.activity.kind), ' ', stateBadge(e.activity)) : h('span', { class: 'muted' }, 'idle')),
            ),
          ),
        ),
      ),
    );
  };

  return refreshingView(root, body, {
    load: () => api.get<EnvironmentView<Activity>[]>('/environments'),
    render,
    again: (envs) => envs.some((e) => e.activity !== null && isOpen(e.activity)),
    everyMs: REFRESH_MS,
  });
}
