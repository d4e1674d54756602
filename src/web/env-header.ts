/**
 * The top of every environment page: its name, type and plan, and the tabs Backups, Activities,
 * Schedule & retention (links; the current one marked with aria-current).
 */
import type { EnvironmentView } from '../server/api-types.ts';
import { routes } from './context.ts';
import { h } from './dom.ts';

export type EnvTab = 'backups' | 'activities' | 'policy';

export function envHeader(env: string, view: EnvironmentView | null, tab: EnvTab): HTMLElement {
  const link = (t: EnvTab, label: string, href: string) => h('a', { href, class: 'tab', 'aria-current': t === tab ? 'page' : undefined }, label);
  return h(
    'div',
    { class: 'env-header' },
    h('p', { class: 'crumbs' }, h('a', { href: routes.home() }, 'Environments'), ' / '),
    h('h1', { tabindex: '-1' }, env),
    view ? h('p', { class: 'env-meta' }, h('span', { class: 'badge' }, view.type), ' ', h('span', { class: 'badge' }, `plan ${view.plan}`)) : null,
    h('nav', { class: 'tabs', 'aria-label': `${env} sections` }, link('backups', 'Backups', routes.backups(env)), link('activities', 'Activities', routes.activities(env)), link('policy', 'Schedule & retention', routes.policy(env))),
  );
}
