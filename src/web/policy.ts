/**
 * An environment's schedule and retention, read-only: what the API's environment view tells (plan,
 * type, whether manual snapshots are allowed, the next automatic run, the snapshots kept). The
 * policy itself is edited in envsnap.yaml; `envsnap policy:show -e ENV` lists every value with its origin.
 */
import type { EnvironmentView } from '../server/api-types.ts';
import { api, ApiFailure, errorMessage, seg } from './api.ts';
import type { AppContext, View } from './context.ts';
import { h, replace } from './dom.ts';
import { envHeader } from './env-header.ts';
import { timeEl } from './format.ts';

export function policyView(_ctx: AppContext, env: string): View {
  const root = h('section', { class: 'page policy' }, envHeader(env, null, 'policy'), h('p', { class: 'loading' }, 'Loading…'));
  let disposed = false;
  const load = async () => {
    let v: EnvironmentView;
    try {
      v = await api.get<EnvironmentView>(`/environments/${seg(env)}`);
    } catch (err) {
      if (!disposed) replace(root, envHeader(env, null, 'policy'), h('p', { class: 'error-text', role: 'alert' }, err instanceof ApiFailure && err.status === 404 ? `There is no environment ${env}.` : errorMessage(err)));
      return;
    }
    if (disposed) return;
    const row = (term: string, ...value: (Node | string | null)[]) => [h('dt', null, term), h('dd', null, ...value)];
    replace(
      root,
      envHeader(env, v, 'policy'),
      h(
        'section',
        { class: 'card' },
        h('h2', null, 'Schedule'),
        h('dl', { class: 'facts' }, row('Next automatic snapshot', v.nextScheduledRun ? timeEl(v.nextScheduledRun) : 'none: this environment has no schedule')),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, 'Retention and manual snapshots'),
        h(
          'dl',
          { class: 'facts' },
          row('Plan', v.plan),
          row('Environment type', v.type),
          row('Manual snapshots', v.manualSnapshots.allowed ? 'allowed' : 'not allowed'),
          v.manualSnapshots.reason ? row('Why not', v.manualSnapshots.reason) : [],
          row('Snapshots kept', String(v.snapshotCount)),
          row('Last snapshot', v.lastSnapshot ? timeEl(v.lastSnapshot.created) : 'none'),
        ),
      ),
      h('p', { class: 'muted' }, 'Schedules and retention are set in envsnap.yaml; ', h('code', null, `envsnap policy:show -e ${env}`), ' lists every value and where it comes from.'),
    );
  };
  void load();
  return {
    el: root,
    dispose() {
      disposed = true;
    },
  };
}
