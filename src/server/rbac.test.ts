/**
 * Roles and permissions: every role x every permission, on an environment the user has, on one they
 * do not have, and project-wide; and the rule that rollback comes only together with backup. The
 * expected table is written out here, not derived from rbac.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { can, checkRoleTable, permissionsOf, PERMISSIONS, ROLES, visibleEnvironments, type Permission, type Principal, type Role } from './rbac.ts';

const EXPECTED: Record<Role, readonly Permission[]> = {
  viewer: ['view'],
  contributor: ['view', 'backup'],
  admin: ['view', 'backup', 'rollback', 'delete', 'pin', 'schedule', 'policy', 'export', 'users'],
};

describe('rbac', () => {
  it('knows exactly these roles and permissions', () => {
    assert.deepEqual([...ROLES], ['viewer', 'contributor', 'admin']);
    assert.deepEqual([...PERMISSIONS].sort(), [...EXPECTED.admin].sort());
  });

  for (const role of ROLES) {
    const everywhere: Principal = { name: 'u', role, environments: [] };
    const limited: Principal = { name: 'u', role, environments: ['staging'] };
    for (const perm of PERMISSIONS) {
      const granted = EXPECTED[role].includes(perm);
      it(`${role} ${perm}: ${granted ? 'granted' : 'refused'} on its environments, refused on others`, () => {
        assert.equal(permissionsOf(role).includes(perm), granted);
        assert.equal(can(everywhere, perm, 'production'), granted, 'role on every environment');
        assert.equal(can(limited, perm, 'staging'), granted, 'own environment');
        assert.equal(can(limited, perm, 'production'), false, 'another environment');
        // Project-wide (managing users): only with the role on every environment; viewing always.
        assert.equal(can(everywhere, perm), granted);
        assert.equal(can(limited, perm), granted && perm === 'view');
      });
    }
  }

  it('rollback is granted only together with backup', () => {
    for (const role of ROLES) {
      if (permissionsOf(role).includes('rollback')) assert.ok(permissionsOf(role).includes('backup'), role);
    }
  });

  it('a role table giving rollback without backup is refused, naming the role and what to do', () => {
    assert.throws(
      () => checkRoleTable({ viewer: ['view'], restorer: ['view', 'rollback'] }),
      (err: Error & { code?: string }) => err.code === 'INVALID_ARGUMENT' && /^role restorer has the rollback permission without backup: grant it backup too/.test(err.message),
    );
    const fine = { viewer: ['view'], operator: ['view', 'backup', 'rollback'] } as const;
    assert.equal(checkRoleTable(fine), fine);
  });

  it('a user sees the environments its role applies to', () => {
    assert.deepEqual(visibleEnvironments({ name: 'u', role: 'viewer', environments: ['staging'] }, ['production', 'staging']), ['staging']);
    assert.deepEqual(visibleEnvironments({ name: 'u', role: 'viewer', environments: [] }, ['production', 'staging']), ['production', 'staging']);
  });
});
