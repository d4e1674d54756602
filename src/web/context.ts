/**
 * What every view gets from the app shell: the logged-in user, navigation, and the message area.
 * A view is an element plus a `dispose` that stops its timers (polling) when the route changes.
 */
import type { Me, Permission } from '../server/api-types.ts';

export type FlashKind = 'info' | 'success' | 'error';

export interface AppContext {
  /** The logged-in user as the last GET /me (or the login) answered. */
  readonly me: Me;
  navigate(hash: string): void;
  /** Shows a message above the page (errors as alerts); replaces the previous one. */
  flash(message: string, kind?: FlashKind): void;
  clearFlash(): void;
  /** Refetches /me (permissions may have changed). */
  refreshMe(): Promise<void>;
}

export interface View {
  el: HTMLElement;
  /** Stops timers; called when the route changes. */
  dispose?(): void;
}

/** The permissions of the user on an environment (empty when they may not see it). */
export function permissionsOn(me: Me, env: string): Set<Permission> {
  return new Set(me.permissions[env] ?? []);
}

/** Hash of a route, with names encoded. */
export const routes = {
  home: () => '#/',
  login: () => '#/login',
  backups: (env: string) => `#/env/${encodeURIComponent(env)}`,
  activities: (env: string) => `#/env/${encodeURIComponent(env)}/activities`,
  policy: (env: string) => `#/env/${encodeURIComponent(env)}/policy`,
  activity: (id: string) => `#/activity/${encodeURIComponent(id)}`,
  users: () => '#/users',
};
