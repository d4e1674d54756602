/**
 * The console's entry point: the page shell (header, "cannot reach the server" banner, message
 * area), the session (GET /me on load; login; logout) and the hash router:
 *
 *   #/                        environments
 *   #/env/NAME                an environment's backups
 *   #/env/NAME/activities     its activities
 *   #/env/NAME/policy         its schedule and retention
 *   #/activity/ID             one activity with its log
 *   #/users                   users (admins)
 *   #/login                   the login form
 *
 * Views are plain DOM built in their modules; each returns a `dispose` that the router calls when
 * the route changes, so no poll outlives its page.
 */
import type { Me } from '../server/api-types.ts';
import { activitiesView, activityView } from './activities.ts';
import { api, ApiFailure, errorMessage, setApiHooks, setCsrfToken, Unreachable } from './api.ts';
import { backupsView } from './backups.ts';
import { routes, type AppContext, type FlashKind, type View } from './context.ts';
import { byId, h, replace } from './dom.ts';
import { environmentsView } from './environments.ts';
import { loginView } from './login.ts';
import { policyView } from './policy.ts';
import { usersView } from './users.ts';

const main = byId('main');
const nav = byId('nav');
const flashBox = byId('flash');
const offline = byId('offline');

let me: Me | null = null;
let current: View | undefined;
/** Where to go after logging in. */
let wanted = '#/';
let loginMessage: string | null = null;

// --- messages ---

function flash(message: string, kind: FlashKind = 'info'): void {
  flashBox.className = `flash flash-${kind}`;
  flashBox.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  replace(flashBox, h('p', null, message), h('button', { type: 'button', class: 'link small', 'aria-label': 'Dismiss message', onclick: clearFlash }, 'Dismiss'));
  flashBox.hidden = false;
}

function clearFlash(): void {
  replace(flashBox);
  flashBox.hidden = true;
}

setApiHooks({
  unreachable() {
    offline.hidden = false;
  },
  reachable() {
    offline.hidden = true;
  },
  unauthenticated(message) {
    if (!me) return;
    me = null;
    setCsrfToken(undefined);
    loginMessage = `Your session has ended (${message.replace(/:.*$/, '')}): log in again.`;
    wanted = location.hash && location.hash !== routes.login() ? location.hash : '#/';
    render();
  },
});

byId('retry').addEventListener('click', () => {
  offline.hidden = true;
  if (me) render();
  else void start();
});

// --- header ---

function renderNav(): void {
  if (!me) return replace(nav);
  const link = (href: string, label: string) => h('a', { href, 'aria-current': isCurrent(href) ? 'page' : undefined }, label);
  replace(
    nav,
    link(routes.home(), 'Environments'),
    me.canManageUsers ? link(routes.users(), 'Users') : null,
    h(
      'span',
      { class: 'who' },
      h('span', { class: 'user-name' }, me.name),
      h('span', { class: 'muted' }, ` (${me.role}) `),
      h('button', { type: 'button', class: 'secondary small', onclick: () => void logout() }, 'Log out'),
    ),
  );
}

function isCurrent(href: string): boolean {
  const hash = location.hash || '#/';
  if (href === routes.home()) return hash === '#/' || hash.startsWith('#/env/') || hash.startsWith('#/activity/');
  return hash.startsWith(href);
}

async function logout(): Promise<void> {
  try {
    await api.post('/logout');
  } catch (err) {
    if (!(err instanceof ApiFailure && err.status === 401)) {
      flash(errorMessage(err), 'error');
      return;
    }
  }
  me = null;
  setCsrfToken(undefined);
  loginMessage = 'You are logged out.';
  wanted = '#/';
  location.hash = routes.login();
  render();
}

// --- routing ---

const ctx = (): AppContext => ({
  // A getter: a view that calls refreshMe() sees the fresh permissions.
  get me() {
    return me!;
  },
  navigate: (hash) => {
    location.hash = hash;
  },
  flash,
  clearFlash,
  refreshMe: async () => {
    const fresh = await api.get<Me>('/me');
    me = fresh;
    if (fresh.csrfToken) setCsrfToken(fresh.csrfToken);
    renderNav();
  },
});

function route(hash: string): View {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  const c = ctx();
  if (parts.length === 0) return environmentsView(c);
  if (parts[0] === 'env' && parts.length >= 2) {
    if (parts.length === 2) return backupsView(c, parts[1]);
    if (parts[2] === 'activities') return activitiesView(c, parts[1]);
    if (parts[2] === 'policy') return policyView(c, parts[1]);
  }
  if (parts[0] === 'activity' && parts.length === 2) return activityView(c, parts[1]);
  if (parts[0] === 'users') return usersView(c);
  return { el: h('section', { class: 'page' }, h('h1', { tabindex: '-1' }, 'Not found'), h('p', null, 'There is no such page. ', h('a', { href: routes.home() }, 'Go to the environments.'))) };
}

let lastHash: string | null = null;

function render(): void {
  current?.dispose?.();
  current = undefined;
  renderNav();
  if (!me) {
    document.title = 'Log in · envsnap';
    replace(main, loginView(loginMessage, onLogin));
    lastHash = null;
    return;
  }
  if (location.hash === routes.login()) {
    location.hash = wanted;
    return; // hashchange renders
  }
  const hash = location.hash || '#/';
  if (hash !== lastHash) clearFlash();
  lastHash = hash;
  try {
    current = route(hash);
  } catch (err) {
    current = { el: h('section', { class: 'page' }, h('p', { class: 'error-text', role: 'alert' }, `This page failed: ${errorMessage(err)}`)) };
  }
  replace(main, current.el);
  const heading = main.querySelector<HTMLElement>('h1');
  document.title = `${heading?.textContent ?? 'envsnap'} · envsnap`;
  // Moving focus to the new page's heading tells keyboard and screen-reader users the page changed.
  heading?.focus({ preventScroll: true });
}

function onLogin(fresh: Me): void {
  me = fresh;
  setCsrfToken(fresh.csrfToken);
  loginMessage = null;
  const target = wanted;
  wanted = '#/';
  if (location.hash !== target) location.hash = target;
  else render();
}

window.addEventListener('hashchange', () => {
  if (!me) {
    if (location.hash !== routes.login()) wanted = location.hash || '#/';
    // The login form stays as it is (with what was typed) whatever the hash.
    if (main.querySelector('.login-page')) return;
  }
  render();
});

async function start(): Promise<void> {
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    me = await api.get<Me>('/me');
    setCsrfToken(me.csrfToken);
  } catch (err) {
    me = null;
    if (err instanceof Unreachable) {
      replace(main, h('section', { class: 'page' }, h('h1', { tabindex: '-1' }, 'envsnap'), h('p', null, 'The console could not load: the envsnap server does not answer.')));
      return;
    }
    if (!(err instanceof ApiFailure && err.status === 401)) loginMessage = errorMessage(err);
    if (location.hash && location.hash !== routes.login()) wanted = location.hash;
  }
  render();
}

void start();
