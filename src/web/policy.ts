/**
 * An environment's Schedule & retention page: its scheduled runs (schedule in words, time zone,
 * mode, type, next run, last result), the retention policy with where each value is set, and what
 * its plan allows by hand. With the `schedule` permission a user adds or replaces a run (daily,
 * weekly or monthly at a time, or a cron expression, in a time zone) and removes one after a
 * confirmation: the server writes envsnap.yaml (comments kept) and answers the new list. Where the
 * policy takes no automatic snapshots the form gives way to the policy's reason. With the `policy`
 * permission a user changes the retention most often tuned (manual keep-within and cap, automatic
 * keep-last); an empty field hands the value back to the type, project or plan.
 */
import type { EnvironmentSchedules, EnvironmentView, PolicyBody, ScheduleBody, ScheduleRow } from '../server/api-types.ts';
import { api, ApiFailure, errorMessage, seg } from './api.ts';
import { permissionsOn, type AppContext, type View } from './context.ts';
import { confirmDialog } from './dialogs.ts';
import { h, replace, uid, type Child } from './dom.ts';
import { envHeader } from './env-header.ts';
import { BACKUP_TYPES, timeEl } from './format.ts';

const FREQUENCIES = [
  { value: 'daily', label: 'Daily' },
  { value: 'weekly', label: 'Weekly' },
  { value: 'monthly', label: 'Monthly' },
  { value: 'cron', label: 'Cron expression' },
];
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const RESULT_CLASSES: Record<string, string> = { ok: 'state-succeeded', failed: 'state-failed', running: 'state-in_progress' };

export function policyView(ctx: AppContext, env: string): View {
  const mayEdit = permissionsOn(ctx.me, env).has('schedule');
  const mayChangePolicy = permissionsOn(ctx.me, env).has('policy');
  const root = h('section', { class: 'page policy' }, envHeader(env, null, 'policy'), h('p', { class: 'loading' }, 'Loading…'));
  const schedulesHeading = h('h2', { tabindex: '-1' }, 'Schedules');
  const schedulesRegion = h('div', { class: 'table-region' });
  const policyRegion = h('div', { class: 'table-region' });
  const formRegion = h('div');
  const form = mayEdit ? scheduleForm(env, (s, message) => {
    render(s);
    ctx.flash(message, 'success');
  }) : null;
  let disposed = false;

  function render(s: EnvironmentSchedules): void {
    const off = s.automatic.enabled ? null : h('p', { class: 'reason' }, s.automatic.reason ?? `${env} takes no automatic snapshots.`);
    // The reason stands where the form would, or above the list for those who may not edit.
    replace(schedulesRegion, mayEdit ? null : off, schedulesTable(s));
    replace(
      policyRegion,
      policyTable(s),
      mayChangePolicy
        ? retentionForm(env, s, (next, message) => {
            render(next);
            ctx.flash(message, 'success');
          })
        : null,
    );
    if (form) replace(formRegion, off ?? form);
  }

  function schedulesTable(s: EnvironmentSchedules): Child[] {
    if (s.schedules.length === 0) return [h('p', { class: 'empty' }, `${env} has no scheduled runs.`)];
    const fromPolicy = s.schedules.some((r) => r.source === 'policy');
    return [
      h(
        'table',
        { class: 'data schedules' },
        h('caption', { class: 'visually-hidden' }, `Scheduled runs of ${env}`),
        h('thead', null, h('tr', null, ['ID', 'Schedule', 'Time zone', 'Mode', 'Type', 'Next run', 'Last run'].map((c) => h('th', { scope: 'col' }, c)), mayEdit ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')) : null)),
        h(
          'tbody',
          null,
          s.schedules.map((r) =>
            h(
              'tr',
              { 'data-schedule': r.id },
              h('th', { scope: 'row', 'data-label': 'ID' }, h('code', null, r.id)),
              h('td', { 'data-label': 'Schedule' }, r.schedule),
              h('td', { 'data-label': 'Time zone' }, r.timezone),
              h('td', { 'data-label': 'Mode' }, r.live ? 'live' : 'maintenance'),
              h('td', { 'data-label': 'Type' }, r.excludeMedia ? `${r.type} (no media)` : r.type),
              h('td', { 'data-label': 'Next run' }, r.nextRun ? timeEl(r.nextRun) : h('span', { class: 'muted' }, 'off')),
              h('td', { 'data-label': 'Last run' }, lastRun(r.last)),
              mayEdit
                ? h('td', { class: 'actions' }, r.source === 'schedules' ? h('button', { type: 'button', class: 'secondary small danger-text', 'aria-label': `Remove schedule ${r.id}`, onclick: () => void remove(r, s) }, 'Remove') : null)
                : null,
            ),
          ),
        ),
      ),
      fromPolicy ? h('p', { class: 'muted small' }, 'The policy schedule (automatic.schedule) runs while the environment has no schedules of its own; adding one replaces it.') : null,
    ];
  }

  async function remove(r: ScheduleRow, s: EnvironmentSchedules): Promise<void> {
    const last = s.schedules.filter((x) => x.source === 'schedules').length === 1;
    const ok = await confirmDialog({
      title: `Remove schedule ${r.id}?`,
      body: [
        h('p', null, 'The schedule ', h('strong', null, r.id), ` (${r.schedule}, ${r.timezone}) is removed from envsnap.yaml.`),
        last ? h('p', { class: 'warn-text' }, `It is the last one: ${env} takes no automatic snapshots until a schedule is added.`) : null,
      ],
      confirmLabel: `Remove schedule ${r.id}`,
      danger: true,
    });
    if (!ok) return;
    try {
      const next = await api.delete<EnvironmentSchedules>(`/environments/${seg(env)}/schedules/${seg(r.id)}`);
      if (disposed) return;
      render(next);
      ctx.flash(`Removed schedule ${r.id} of ${env}.`, 'success');
      // The button that had focus is gone with its row.
      schedulesHeading.focus();
    } catch (err) {
      ctx.flash(errorMessage(err), 'error');
    }
  }

  const load = async () => {
    let v: EnvironmentView;
    let s: EnvironmentSchedules;
    try {
      [v, s] = await Promise.all([api.get<EnvironmentView>(`/environments/${seg(env)}`), api.get<EnvironmentSchedules>(`/environments/${seg(env)}/schedules`)]);
    } catch (err) {
      if (!disposed) replace(root, envHeader(env, null, 'policy'), h('p', { class: 'error-text', role: 'alert' }, err instanceof ApiFailure && err.status === 404 ? `There is no environment ${env}.` : errorMessage(err)));
      return;
    }
    if (disposed) return;
    const row = (term: string, ...value: (Node | string | null)[]) => [h('dt', null, term), h('dd', null, ...value)];
    replace(
      root,
      envHeader(env, v, 'policy'),
      h('section', { class: 'card' }, schedulesHeading, schedulesRegion),
      mayEdit
        ? h('section', { class: 'card' }, h('h2', null, 'Add or replace a schedule'), formRegion)
        : h('p', { class: 'muted' }, `Your role (${ctx.me.role}) may not change schedules of ${env}.`),
      h('section', { class: 'card' }, h('h2', null, 'Retention policy'), policyRegion),
      h(
        'section',
        { class: 'card' },
        h('h2', null, 'Manual snapshots'),
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
      h('p', { class: 'muted' }, 'The policy lives in envsnap.yaml; ', h('code', null, `envsnap policy:show -e ${env}`), ' lists it too.'),
    );
    render(s);
  };
  void load();
  return {
    el: root,
    dispose() {
      disposed = true;
    },
  };
}

function policyTable(s: EnvironmentSchedules): HTMLElement {
  return h(
    'table',
    { class: 'data policy-values' },
    h('caption', { class: 'visually-hidden' }, `Retention policy of ${s.environment}`),
    h('thead', null, h('tr', null, ['Setting', 'Value', 'Origin'].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      null,
      s.policy.map((p) => h('tr', { 'data-key': p.key }, h('th', { scope: 'row' }, h('code', null, p.key)), h('td', { 'data-label': 'Value' }, p.value), h('td', { 'data-label': 'Origin', class: 'muted' }, p.origin))),
    ),
  );
}

/** The scheduler's last run of a schedule: result, when, and the snapshot or why not. */
function lastRun(last: Record<string, unknown> | undefined): Child[] {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const result = text(last?.result);
  if (!last || !result) return [h('span', { class: 'muted' }, 'never')];
  const at = text(last.lastEnd) ?? text(last.lastStart) ?? text(last.skippedAt);
  const snapshot = text(last.snapshotId);
  const why = result === 'failed' ? text(last.error) : result === 'skipped' ? text(last.skipReason) : undefined;
  return [
    h('span', { class: `badge ${RESULT_CLASSES[result] ?? ''}` }, result),
    at ? [' ', timeEl(at)] : null,
    snapshot && result === 'ok' ? [' ', h('code', { title: snapshot }, snapshot.slice(0, 8))] : null,
    why ? h('span', { class: result === 'failed' ? 'error-text' : 'muted' }, ` ${why}`) : null,
  ].flat();
}

/** The form that adds a schedule or replaces the one with its ID; `saved` gets the server's new list. */
function scheduleForm(env: string, saved: (s: EnvironmentSchedules, message: string) => void): HTMLFormElement {
  const id = (name: string) => uid(`schedule-${name}`);
  const ids = { id: id('id'), idHint: id('id-hint'), freq: id('freq'), at: id('at'), weekday: id('weekday'), day: id('day'), cron: id('cron'), cronHint: id('cron-hint'), tz: id('tz'), zones: id('zones'), live: id('live'), type: id('type'), error: id('error') };
  const idInput = h('input', { id: ids.id, name: 'id', required: true, value: 'nightly', pattern: '[a-z0-9][a-z0-9_\\-]*', maxlength: '64', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', 'aria-describedby': ids.idHint });
  const freq = h('select', { id: ids.freq, name: 'frequency' }, FREQUENCIES.map((f) => h('option', { value: f.value }, f.label)));
  const at = h('input', { id: ids.at, name: 'at', type: 'time', required: true, value: '02:30' });
  const weekday = h('select', { id: ids.weekday, name: 'weekday' }, WEEKDAYS.map((d) => h('option', { value: d, selected: d === 'sunday' }, d[0]!.toUpperCase() + d.slice(1))));
  const day = h('input', { id: ids.day, name: 'day', type: 'number', inputmode: 'numeric', min: '1', max: '31', required: true, value: '1' });
  const cron = h('input', { id: ids.cron, name: 'cron', required: true, placeholder: '30 2 * * *', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', 'aria-describedby': ids.cronHint });
  const tz = h('input', { id: ids.tz, name: 'timezone', required: true, value: browserTimeZone(), list: ids.zones, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false' });
  const live = h('input', { id: ids.live, name: 'live', type: 'checkbox' });
  const type = h('select', { id: ids.type, name: 'type' }, BACKUP_TYPES.map((t) => h('option', { value: t.value }, t.label)));
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save schedule');
  const error = h('p', { id: ids.error, class: 'form-error error-text', role: 'alert', hidden: true });

  const field = (input: HTMLElement, label: string, ...rest: Child[]) => h('div', { class: 'field' }, h('label', { for: input.id }, label), input, ...rest);
  const atField = field(at, 'Time');
  const weekdayField = field(weekday, 'Day of the week');
  const dayField = field(day, 'Day of the month', h('span', { class: 'muted small' }, '29–31: the last day of shorter months'));
  const cronField = field(cron, 'Cron expression', h('span', { id: ids.cronHint, class: 'muted small' }, 'minute hour day-of-month month day-of-week'));
  const sync = () => {
    const f = freq.value;
    // Hidden fields are disabled too, so their `required` does not hold up the form.
    for (const [el, input, shown] of [[atField, at, f !== 'cron'], [weekdayField, weekday, f === 'weekly'], [dayField, day, f === 'monthly'], [cronField, cron, f === 'cron']] as const) {
      el.hidden = !shown;
      input.disabled = !shown;
    }
  };
  freq.addEventListener('change', sync);
  sync();

  const form = h(
    'form',
    { class: 'schedule-form', 'aria-label': `Add or replace a schedule of ${env}`, 'aria-describedby': ids.error },
    field(idInput, 'ID', h('span', { id: ids.idHint, class: 'muted small' }, 'the ID of a listed schedule replaces it')),
    field(freq, 'Repeat'),
    atField,
    weekdayField,
    dayField,
    cronField,
    field(tz, 'Time zone', h('datalist', { id: ids.zones }, timeZones().map((z) => h('option', { value: z })))),
    field(type, 'Type'),
    h('div', { class: 'field check' }, live, h('label', { for: ids.live }, 'Live ', h('span', { class: 'muted' }, '(no maintenance mode)'))),
    h('div', { class: 'field' }, save),
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const scheduleId = idInput.value.trim();
    const timezone = tz.value.trim();
    const f = freq.value;
    const schedule: ScheduleBody['schedule'] =
      f === 'cron'
        ? { cron: cron.value.trim(), timezone }
        : { frequency: f as 'daily' | 'weekly' | 'monthly', at: at.value.slice(0, 5), timezone, ...(f === 'weekly' ? { weekday: weekday.value } : {}), ...(f === 'monthly' ? { day: Number(day.value) } : {}) };
    const body: ScheduleBody = { schedule, live: live.checked, type: type.value as ScheduleBody['type'] };
    await submitting(save, error, async () => {
      const s = await api.put<EnvironmentSchedules>(`/environments/${seg(env)}/schedules/${seg(scheduleId)}`, body);
      const row = s.schedules.find((r) => r.id === scheduleId);
      saved(s, `Saved schedule ${scheduleId} of ${env}${row ? `: ${row.schedule} (${row.timezone})` : ''}.`);
    });
  });
  return form;
}

/**
 * The retention settings most often changed, written to envsnap.yaml as the environment's own values;
 * an empty field removes the environment's value, so the type, project or plan value applies again.
 */
function retentionForm(env: string, s: EnvironmentSchedules, saved: (s: EnvironmentSchedules, message: string) => void): HTMLFormElement {
  const value = (key: string) => s.policy.find((l) => l.key === key)?.value ?? '';
  const numberOrEmpty = (v: string) => (/^\d+$/.test(v) ? v : '');
  const ids = { keep: uid('keep-within'), max: uid('max-count'), last: uid('keep-last'), error: uid('policy-error') };
  const keep = h('input', { id: ids.keep, name: 'keep_within', value: value('manual.keep_within'), placeholder: '7d', autocomplete: 'off', spellcheck: 'false' });
  const max = h('input', { id: ids.max, name: 'max_count', type: 'number', min: '1', inputmode: 'numeric', value: numberOrEmpty(value('manual.max_count')) });
  const last = h('input', { id: ids.last, name: 'keep_last', type: 'number', min: '0', inputmode: 'numeric', value: numberOrEmpty(value('automatic.keep_last')) });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save retention');
  const error = h('p', { id: ids.error, class: 'form-error error-text', role: 'alert', hidden: true });
  const field = (input: HTMLElement, label: string, hint: string) => h('div', { class: 'field' }, h('label', { for: input.id }, label), input, h('span', { class: 'muted small' }, hint));
  const form = h(
    'form',
    { class: 'retention-form', 'aria-label': `Retention of ${env}`, 'aria-describedby': ids.error },
    h('h3', null, 'Change retention'),
    field(keep, 'Keep manual snapshots for', 'e.g. 7d, 2w, 3mo; empty: the plan\'s value'),
    field(max, 'At most this many manual snapshots', 'a new one replaces the oldest; empty: no cap'),
    field(last, 'Always keep the last automatic snapshots', 'how many; empty: the plan\'s value'),
    h('div', { class: 'field' }, save),
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const num = (el: HTMLInputElement) => (el.value.trim() === '' ? null : Number(el.value));
    const body: PolicyBody = { manual: { keep_within: keep.value.trim() || null, max_count: num(max) }, automatic: { keep_last: num(last) } };
    await submitting(save, error, async () => saved(await api.put<EnvironmentSchedules>(`/environments/${seg(env)}/policy`, body), `Saved the retention of ${env} in envsnap.yaml.`));
  });
  return form;
}

/** Runs a form's request with its button disabled; a failure is shown in the form's error line. */
async function submitting(save: HTMLButtonElement, error: HTMLElement, fn: () => Promise<void>): Promise<void> {
  error.hidden = true;
  save.disabled = true;
  try {
    await fn();
  } catch (err) {
    error.textContent = errorMessage(err);
    error.hidden = false;
  } finally {
    save.disabled = false;
  }
}

/** The browser's time zone, the form's default (UTC when it has none). */
function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** The IANA time zones the browser knows, for the time zone field's suggestions. */
function timeZones(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}
