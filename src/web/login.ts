/**
 * The login form: POST /api/v1/login {user, password}. The server sets the HttpOnly session cookie
 * and answers with Me, whose csrfToken the app keeps in memory.
 */
import type { Me } from '../server/api-types.ts';
import { api, ApiFailure, errorMessage } from './api.ts';
import { h, uid } from './dom.ts';

export function loginView(message: string | null, done: (me: Me) => void): HTMLElement {
  const userId = uid('login-user');
  const pwId = uid('login-pw');
  const user = h('input', { id: userId, name: 'username', autocomplete: 'username', required: true, autocapitalize: 'off', spellcheck: 'false' });
  const password = h('input', { id: pwId, name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const status = h('p', { class: 'login-message', role: 'alert' }, message ?? '');
  status.hidden = !message;
  const form = h(
    'form',
    { class: 'login card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', tabindex: '-1' }, 'Log in to envsnap'),
    status,
    h('div', { class: 'field' }, h('label', { for: userId }, 'User name'), user),
    h('div', { class: 'field' }, h('label', { for: pwId }, 'Password'), password),
    h('div', { class: 'field' }, submit),
    h('p', { class: 'muted small' }, 'No user yet? On the server, run ', h('code', null, 'envsnap user:add NAME --role admin'), '.'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      const me = await api.post<Me>('/login', { user: user.value.trim(), password: password.value }, { expectUnauthenticated: true });
      done(me);
    } catch (err) {
      status.hidden = false;
      status.textContent = err instanceof ApiFailure && err.status === 401 ? 'Wrong user name or password.' : errorMessage(err);
      password.value = '';
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => (user.value ? password : user).focus());
  return h('section', { class: 'page login-page' }, form);
}
