/**
 * The console's files, served from src/web with no build step: HTML and CSS as they are, the
 * TypeScript modules with their types stripped by Node's own `stripTypeScriptTypes` (so the console
 * is typed code for us and plain JavaScript for the browser). Files are read and converted once.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { AuthEnv } from './auth.ts';

const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

interface Asset {
  type: string;
  body: string;
}

let assets: Map<string, Asset> | undefined;

function load(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of readdirSync(WEB_DIR)) {
    if (name.endsWith('.test.ts')) continue;
    const text = readFileSync(join(WEB_DIR, name), 'utf8');
    switch (extname(name)) {
      case '.ts':
        out.set(name, { type: 'text/javascript; charset=utf-8', body: stripTypeScriptTypes(text) });
        break;
      case '.css':
        out.set(name, { type: 'text/css; charset=utf-8', body: text });
        break;
      case '.html':
        out.set(name, { type: 'text/html; charset=utf-8', body: text });
        break;
      case '.svg':
        out.set(name, { type: 'image/svg+xml', body: text });
        break;
    }
  }
  return out;
}

export function serveConsole(app: Hono<AuthEnv>): void {
  app.get('/assets/:name', (c) => {
    assets ??= load();
    const a = assets.get(c.req.param('name'));
    if (!a) return c.json({ error: { code: 'NOT_FOUND', message: 'no such file' } }, 404);
    c.header('Content-Type', a.type);
    c.header('Cache-Control', 'no-cache');
    return c.body(a.body);
  });
  // The console is one page; its own router reads the location hash.
  app.get('/', (c) => {
    assets ??= load();
    const a = assets.get('index.html');
    if (!a) return c.text('the console files are missing from this installation', 500);
    c.header('Content-Type', a.type);
    return c.body(a.body);
  });
}
