/**
 * Roles and permissions, per environment. A user has one role and either every environment of the
 * project or a list of them. Viewers list snapshots and activities; contributors may also take
 * snapshots; admins may also restore, delete, pin, change schedules and policies, and manage users.
 *
 * `rollback` (restore) is its own permission and, as in Magento's ACL, is only effective together
 * with `backup`: a role that could restore but not back up would overwrite data it cannot save first.
 * The role table is checked for that when this module loads (checkRoleTable).
 */
import { EnvsnapError } from '../core/errors.ts';

export const ROLES = ['viewer', 'contributor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['view', 'backup', 'rollback', 'delete', 'pin', 'schedule', 'policy', 'export', 'users'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS = checkRoleTable<Record<Role, readonly Permission[]>>({
  viewer: ['view'],
  contributor: ['view', 'backup'],
  admin: PERMISSIONS,
});

/** `table` when every role that has `rollback` also has `backup`; throws naming the role otherwise. */
export function checkRoleTable<T extends Record<string, readonly Permission[]>>(table: T): T {
  for (const [role, perms] of Object.entries(table)) {
    if (perms.includes('rollback') && !perms.includes('backup')) {
      throw new EnvsnapError('INVALID_ARGUMENT', `role ${role} has the rollback permission without backup: grant it backup too, or take rollback away (a role that restores must be able to back up first)`);
    }
  }
  return table;
}

export interface Principal {
  name: string;
  role: Role;
  /** Environments the role applies to; empty means all of them. */
  environments: readonly string[];
}

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

export function permissionsOf(role: Role): readonly Permission[] {
  return ROLE_PERMISSIONS[role];
}

/** Whether `who` may do `perm` on environment `env` (undefined: a project-wide action, such as managing users). */
export function can(who: Principal, perm: Permission, env?: string): boolean {
  const perms = ROLE_PERMISSIONS[who.role];
  if (!perms.includes(perm)) return false;
  // A project-wide action (managing users) needs the role on every environment.
  if (env === undefined) return perm === 'view' || who.environments.length === 0;
  return who.environments.length === 0 || who.environments.includes(env);
}

/** The environments of `all` that `who` may see. */
export function visibleEnvironments(who: Principal, all: readonly string[]): string[] {
  return all.filter((e) => can(who, 'view', e));
}
