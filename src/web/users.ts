/**
 * The Users page, for admins of every environment (Me.canManageUsers): the list, a form to add a
 * user (role, environments, optional password: without one the user can only use API tokens),
 * changing a role in a dialog, and removing a user after a confirmation.
 */
import type { UserView } from '../server/api-types.ts';
import { api, errorMessage, seg } from './api.ts';
import type { AppContext, View } from './context.ts';
import { confirmDialog, formDialog } from './dialogs.ts';
import { h, replace, uid } from './dom.ts';
import { timeEl } from './format.ts';

const ROLES = [
  { value: 'viewer', label: 'viewer: sees snapshots and activities' },
  { value: 'contributor', label: 'contributor: may also take backups' },
  { value: 'admin', label: 'admin: may also restore, delete, pin, export and manage users' },
];

/** A role select and environment checkboxes (none ticked = every environment). */
function roleFields(allEnvs: string[], role: string, envs: readonly string[]): { fields: HTMLElement[]; read(): { role: string; environments: string[] } } {
  const roleId = uid('role');
  const select = h('select', { id: roleId, name: 'role' }, ROLES.map((r) => h('option', { value: r.value, selected: r.value === role }, r.label)));
  const boxes = allEnvs.map((e) => {
    const id = uid('env');
    const box = h('input', { type: 'checkbox', id, value: e, checked: envs.includes(e) });
    return { box, el: h('span', { class: 'check' }, box, h('label', { for: id }, e)) };
  });
  const fields = [
    h('div', { class: 'field' }, h('label', { for: roleId }, 'Role'), select),
    h('fieldset', { class: 'field envs' }, h('legend', null, 'Environments ', h('span', { class: 'muted' }, '(none ticked: every environment)')), boxes.map((b) => b.el)),
  ];
  return { fields, read: () => ({ role: select.value, environments: boxes.filter((b) => b.box.checked).map((b) => b.box.value) }) };
}

export function usersView(ctx: AppContext): View {
  const root = h('section', { class: 'page users' }, h('h1', { tabindex: '-1' }, 'Users'));
  if (!ctx.me.canManageUsers) {
    root.appendChild(h('p', { class: 'error-text', role: 'alert' }, `Your role (${ctx.me.role}) may not manage users: only admins of every environment may.`));
    return { el: root };
  }
  const allEnvs = Object.keys(ctx.me.permissions);
  const list = h('div', null, h('p', { class: 'loading' }, 'Loading…'));
  let disposed = false;

  // --- add ---
  const nameId = uid('user-name');
  const pwId = uid('user-pw');
  const nameInput = h('input', { id: nameId, name: 'name', required: true, autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', pattern: '[A-Za-z0-9][A-Za-z0-9._@\\-]{0,63}', maxlength: '64' });
  const pwInput = h('input', { id: pwId, name: 'password', type: 'password', autocomplete: 'new-password', minlength: '8' });
  let addRole = roleFields(allEnvs, 'viewer', []);
  const roleSlot = h('div', { class: 'role-slot' }, addRole.fields);
  const addForm = h(
    'form',
    { class: 'add-user', 'aria-label': 'Add a user' },
    h('div', { class: 'field' }, h('label', { for: nameId }, 'Name'), nameInput),
    h('div', { class: 'field' }, h('label', { for: pwId }, 'Password ', h('span', { class: 'muted' }, '(at least 8 characters; empty: API tokens only)')), pwInput),
    roleSlot,
    h('div', { class: 'field' }, h('button', { type: 'submit', class: 'primary' }, 'Add user')),
  );
  addForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const { role, environments } = addRole.read();
    const body: Record<string, unknown> = { name: nameInput.value.trim(), role };
    if (environments.length) body.environments = environments;
    if (pwInput.value) body.password = pwInput.value;
    try {
      await api.post('/users', body);
      ctx.flash(`Added ${role} ${body.name as string}.`, 'success');
      addForm.reset();
      addRole = roleFields(allEnvs, 'viewer', []);
      replace(roleSlot, addRole.fields);
      await load();
    } catch (err) {
      ctx.flash(errorMessage(err), 'error');
    }
  });

  // --- list ---
  const edit = async (u: UserView) => {
    const f = roleFields(allEnvs, u.role, u.environments);
    const value = await formDialog(`Change the role of ${u.name}`, f.fields, 'Save', () => f.read());
    if (!value) return;
    try {
      await api.patch(`/users/${seg(u.name)}`, value);
      ctx.flash(`${u.name} is now ${value.role}${value.environments.length ? ` on ${value.environments.join(', ')}` : ' on every environment'}.`, 'success');
      if (u.name === ctx.me.name) await ctx.refreshMe();
      await load();
    } catch (err) {
      ctx.flash(errorMessage(err), 'error');
    }
  };
  const remove = async (u: UserView) => {
    const ok = await confirmDialog({
      title: `Remove ${u.name}?`,
      body: h('p', null, `${u.name} can no longer log in; their API tokens and sessions end.`),
      confirmLabel: `Remove ${u.name}`,
      danger: true,
    });
    if (!ok) return;
    try {
      await api.delete(`/users/${seg(u.name)}`);
      ctx.flash(`Removed ${u.name}.`, 'success');
      await load();
    } catch (err) {
      ctx.flash(errorMessage(err), 'error');
    }
  };

  const render = (users: UserView[]) =>
    replace(
      list,
      h(
        'table',
        { class: 'data user-list' },
        h('caption', { class: 'visually-hidden' }, 'Users'),
        h('thead', null, h('tr', null, ['Name', 'Role', 'Environments', 'Password', 'API tokens', 'Created', ''].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          null,
          users.map((u) =>
            h(
              'tr',
              { 'data-user': u.name },
              h('th', { scope: 'row', 'data-label': 'Name' }, u.name, u.name === ctx.me.name ? h('span', { class: 'muted' }, ' (you)') : null),
              h('td', { 'data-label': 'Role' }, u.role),
              h('td', { 'data-label': 'Environments' }, u.environments.length ? u.environments.join(', ') : 'all'),
              h('td', { 'data-label': 'Password' }, u.hasPassword ? 'yes' : 'no'),
              h('td', { 'data-label': 'API tokens', class: 'num' }, String(u.tokens)),
              h('td', { 'data-label': 'Created' }, timeEl(u.createdAt)),
              h(
                'td',
                { class: 'actions' },
                h('button', { type: 'button', class: 'secondary small', 'aria-label': `Change the role of ${u.name}`, onclick: () => void edit(u) }, 'Change role'),
                ' ',
                h('button', { type: 'button', class: 'secondary small danger-text', 'aria-label': `Remove ${u.name}`, onclick: () => void remove(u) }, 'Remove'),
              ),
            ),
          ),
        ),
      ),
    );

  const load = async () => {
    try {
      const users = await api.get<UserView[]>('/users');
      if (!disposed) render(users);
    } catch (err) {
      if (!disposed) replace(list, h('p', { class: 'error-text', role: 'alert' }, errorMessage(err)));
    }
  };

  root.append(h('section', { class: 'card' }, h('h2', null, 'Users of this server'), list), h('section', { class: 'card' }, h('h2', null, 'Add a user'), addForm));
  void load();
  return {
    el: root,
    dispose() {
      disposed = true;
    },
  };
}
