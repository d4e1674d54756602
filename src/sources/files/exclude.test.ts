import { it } from 'node:test';
import assert from 'node:assert/strict';
import { compileExcludes } from './exclude.ts';

it('matches globs against relative paths and base names', () => {
  const m = compileExcludes(['var/cache/**', '*.log', 'generated', '# comment', '']);
  const cases: [string, boolean][] = [
    ['var/cache/a/b', true],
    ['var/cache', false],
    ['var/log/system.log', true],
    ['system.log', true],
    ['generated', true],
    ['app/generated', true],
    ['pub/media/x.jpg', false],
    ['var/.hidden.log', true],
  ];
  for (const [path, want] of cases) assert.equal(m(path), want, path);
});

it('matches nothing without patterns', () => {
  assert.equal(compileExcludes([])('anything'), false);
});
