/**
 * The console's browser code (src/web) is type-checked here, since the root tsconfig.json leaves it
 * out: with its own tsconfig, which has the DOM's types and not Node's, so a Node global (Buffer,
 * process) in browser code fails, and so does a type import of a server module that uses Node (the
 * wire types in ../server/api-types.ts stand alone). Also checks what the browser will load: after
 * type stripping, every import is a sibling `./name.ts` module that exists (server code only as
 * `import type`, which is erased).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB = join(ROOT, 'src', 'web');
const CONFIG = join(WEB, 'tsconfig.json');

describe('console sources (src/web)', () => {
  it("type-check with src/web/tsconfig.json, which has the DOM's types and not Node's", () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(CONFIG, {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    });
    assert.ok(parsed, 'src/web/tsconfig.json parses');
    assert.deepEqual(parsed.options.types, [], 'no Node types: Buffer or process in browser code must be an error');
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${relative(ROOT, d.file.fileName)}(${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1})` : 'tsconfig';
      return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    assert.deepEqual(errors, [], errors.join('\n'));
  });

  it('import only sibling modules once their types are stripped', () => {
    const files = readdirSync(WEB).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    assert.ok(files.includes('main.ts'));
    for (const f of files) {
      const js = stripTypeScriptTypes(readFileSync(join(WEB, f), 'utf8'));
      for (const m of js.matchAll(/\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1] ?? m[2];
        assert.match(spec, /^\.\/[a-z0-9-]+\.ts$/, `${f} imports ${spec}: the browser can load only ./name.ts from /assets (use "import type" for server types)`);
        assert.ok(files.includes(spec.slice(2)), `${f} imports ${spec}, which is not in src/web`);
      }
    }
  });
});
