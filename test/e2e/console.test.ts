/**
 * The web console in real headless Chromium (Debian's package, driven by playwright-core) against
 * `envsnap serve` as a child process, on a project whose environments need no database server
 * (mounts and SQLite). An admin logs in, backs up, watches the activity finish, restores through the
 * confirmation dialog (the changed files and rows are back on disk), pins, reads the activity log,
 * adds and removes a schedule (envsnap.yaml changes) and manages users; the error states (409,
 * server unreachable, 401) show what they should; a viewer sees no Backup, Restore or schedule form
 * and a forged restore, like a POST without the CSRF token, is refused; a phone-sized screen has no
 * horizontal overflow. Also: the snapshot table's columns; a backup with Live ticked listed as live;
 * the environment list's last snapshot and next scheduled run against the API and the schedule;
 * Delete through the row menu; a 403 to an action offered before a role change shown in the page
 * (which then stops offering it); a backup held in its maintenance on-command shown running, then
 * finished. Screenshots go to test-artifacts/console/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type Response } from 'playwright-core';
import { ActivityHold } from '../../src/testing/activity-hold.ts';
import { ensureDebianPackages, freePort } from '../../src/testing/servers.ts';
import { writeFiles } from '../../src/testing/temp-repo.ts';
import { CLI, runJson, runOk, spawnCli, waitFor, writePseudoRandomFile, type Spawned } from './helpers.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));
const ADMIN = { user: 'admin1', password: 'admin-password-1' };
const VIEWER = { user: 'viewer1', password: 'viewer-password-1' };
const PHONE = { width: 375, height: 740 };
const CONTRIBUTOR = { user: 'dev2', password: 'dev-password-2' };
const ORIGINAL_CSV = 'sku,name\nA-1,Alpha\nB-2,Beta\n';
const HOUR_MS = 3_600_000;
/** Production's daily run: twelve hours from now (UTC), so no run comes due while the tests look at it. */
const DAILY_HOUR = (new Date().getUTCHours() + 12) % 24;
/** envsnap.yaml; a snapshot of `held` waits in its maintenance on-command until `hold` releases it. */
const config = (hold: ActivityHold) => `project: console-e2e
repository: repo
environments:
  production:
    type: production
    plan: pro
    root: prod
    mounts: [var]
    schedules: [{ id: daily, frequency: daily, at: "${String(DAILY_HOUR).padStart(2, '0')}:00", timezone: UTC }]
  staging:
    type: staging
    plan: starter
    root: shop
    mounts: [var, pub/media, app/etc]
    database: { type: sqlite, path: data/shop.db }
    maintenance: { flag: maintenance.flag }
    policy: { manual: { max_count: null }, automatic: { enabled: true } }
  held:
    type: staging
    plan: starter
    root: held
    mounts: [var]
    ${hold.yaml}
`;

/** The first time after `now` at `hour`:00 UTC, as ISO. */
function nextDailyRun(now: number, hour: number): string {
  let t = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
  while (new Date(t).getUTCHours() !== hour) t += HOUR_MS;
  return new Date(t).toISOString();
}

/** `envsnap user:add NAME --role ROLE --password-stdin`, the password on stdin. */
function addUser(cwd: string, name: string, role: string, password: string): void {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ENVSNAP_') && k !== 'NODE_TEST_CONTEXT' && k !== 'NODE_OPTIONS') env[k] = v;
  const r = spawnSync(process.execPath, [CLI, 'user:add', name, '--role', role, '--password-stdin'], { cwd, env, input: `${password}\n`, encoding: 'utf8' });
  assert.equal(r.status, 0, `user:add ${name} failed:\n${r.stdout}${r.stderr}`);
}

function sqliteValue(file: string): string {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return String((db.prepare('SELECT name FROM product WHERE sku = ?').get('A-1') as { name: string }).name);
  } finally {
    db.close();
  }
}

describe('web console (Chromium)', () => {
  let dir: string;
  let server: Spawned;
  let url: string;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let snapshotId = '';
  let hold: ActivityHold;
  const pageErrors: string[] = [];

  const shot = (p: Page, name: string) => p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  async function newPage(ctx: BrowserContext): Promise<Page> {
    const p = await ctx.newPage();
    p.setDefaultTimeout(20_000);
    p.on('pageerror', (err) => pageErrors.push(`${err.name}: ${err.message}`));
    return p;
  }

  async function logIn(p: Page, who: { user: string; password: string }): Promise<void> {
    await p.getByLabel('User name').fill(who.user);
    await p.getByLabel('Password', { exact: true }).fill(who.password);
    await p.getByRole('button', { name: 'Log in' }).click();
    await p.getByRole('button', { name: 'Log out' }).waitFor();
  }

  /** staging's Backups page in a browser context of its own, logged in as `who`, once it lists the first snapshot. Close `ctx` when done. */
  async function stagingAs(who: { user: string; password: string }): Promise<{ ctx: BrowserContext; p: Page }> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await newPage(ctx);
    await p.goto(`${url}/#/env/staging`);
    await logIn(p, who);
    await p.getByRole('heading', { name: 'staging', exact: true }).waitFor();
    await p.locator(`tr[data-snapshot="${snapshotId}"]`).waitFor();
    return { ctx, p };
  }

  /** A call of the API through the page's own fetch (its session cookie, the CSRF token of GET /me). */
  async function pageApi<T>(p: Page, method: string, path: string, body?: object): Promise<{ status: number; body: T }> {
    return p.evaluate(
      async ([method, path, body]) => {
        const me = (await (await fetch('/api/v1/me')).json()) as { csrfToken: string };
        const headers = { 'X-CSRF-Token': me.csrfToken, 'Content-Type': 'application/json' };
        const res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
        return { status: res.status, body: (res.status === 204 ? null : await res.json()) as T };
      },
      [method, path, body] as const,
    );
  }

  /** A snapshot row's cells by column. */
  async function cells(row: Locator): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const td of await row.locator('td[data-label]').all()) out[(await td.getAttribute('data-label'))!] = (await td.innerText()).trim();
    return out;
  }

  /** The activity panel once it shows a final state; fails the test with its text when that is not succeeded. */
  async function finishedPanel(p: Page, kind: string): Promise<string> {
    const panel = p.locator('.activity-panel[data-state="succeeded"], .activity-panel[data-state="failed"], .activity-panel[data-state="cancelled"]').filter({ hasText: kind });
    await panel.waitFor({ timeout: 60_000 });
    const text = await panel.innerText();
    assert.equal(await panel.getAttribute('data-state'), 'succeeded', text);
    return text;
  }

  before(async () => {
    ensureDebianPackages([{ binary: 'chromium', pkg: 'chromium' }]);
    await mkdir(ARTIFACTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'envsnap-e2e-console-'));
    await writeFiles(join(dir, 'shop'), {
      'var/import/products.csv': ORIGINAL_CSV,
      'app/etc/env.php': "<?php return ['db' => []];\n",
      'pub/media/catalog/a.jpg': Buffer.alloc(4096, 7),
      'data/.keep': '',
    });
    // A few MiB, so the backup has some progress to show.
    await writePseudoRandomFile(join(dir, 'shop', 'pub', 'media', 'catalog', 'big.bin'), 6 * 1024 * 1024, 'console e2e');
    await writeFiles(join(dir, 'prod'), { 'var/log/system.log': 'prod\n' });
    const db = new DatabaseSync(join(dir, 'shop', 'data', 'shop.db'));
    db.exec("CREATE TABLE product (sku TEXT PRIMARY KEY, name TEXT); INSERT INTO product VALUES ('A-1', 'Alpha'), ('B-2', 'Beta');");
    db.close();
    await writeFiles(join(dir, 'held'), { 'var/notes.txt': 'held\n' });
    hold = new ActivityHold(join(dir, 'held'));
    await writeFile(join(dir, 'envsnap.yaml'), config(hold));
    await runOk(['init'], { cwd: dir });
    addUser(dir, ADMIN.user, 'admin', ADMIN.password);
    addUser(dir, VIEWER.user, 'viewer', VIEWER.password);
    addUser(dir, CONTRIBUTOR.user, 'contributor', CONTRIBUTOR.password);

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = spawnCli(['serve', '--listen', `127.0.0.1:${port}`, '--no-scheduler'], { cwd: dir });
    await waitFor(
      async () => {
        if (server.child.exitCode !== null) {
          const r = await server.done;
          assert.fail(`envsnap serve exited ${r.code}:\n${r.stdout}${r.stderr}`);
        }
        try {
          return (await fetch(`${url}/api/v1/me`)).status === 401;
        } catch {
          return false;
        }
      },
      'envsnap serve to answer',
      30_000,
      50,
    );
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await newPage(admin);
  });

  after(async () => {
    await hold?.release();
    await browser?.close();
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.done;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the page with a strict CSP and the modules as JavaScript', async () => {
    const res = await fetch(`${url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script>|style=/, 'no inline script or style');
    const js = await fetch(`${url}/assets/main.ts`);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.doesNotMatch(await js.text(), /import type|: AppContext/, 'types are stripped');
  });

  it('an admin logs in, backs up, watches the activity finish and sees the snapshot listed', async () => {
    await page.goto(url);
    await page.getByRole('heading', { name: 'Log in to envsnap' }).waitFor();
    await shot(page, '01-login');
    await logIn(page, ADMIN);
    await page.getByRole('heading', { name: 'Environments' }).waitFor();
    await page.locator('tr[data-environment="staging"]').waitFor();
    assert.match(await page.locator('tr[data-environment="production"]').innerText(), /production[\s\S]*pro/);
    await shot(page, '02-environments');

    await page.getByRole('link', { name: 'staging', exact: true }).click();
    await page.getByRole('heading', { name: 'staging', exact: true }).waitFor();
    await page.getByText('No snapshots of staging yet.').waitFor();
    await page.getByLabel('Type').selectOption('system');
    // Every answer about the activity says whether this admin may cancel it: while it is open.
    const answers: Promise<{ state: string; canCancel: boolean }>[] = [];
    const onResponse = (r: Response) => {
      if (/\/api\/v1\/activities\/[0-9a-f]{16}$/.test(r.url())) answers.push(r.json());
    };
    page.on('response', onResponse);
    await page.getByRole('button', { name: 'Back up now' }).click();
    // The panel appears at once (queued or running), then polls to the end.
    await page.locator('.activity-panel').filter({ hasText: 'Backup' }).waitFor();
    await shot(page, '03-backup-started');
    const text = await finishedPanel(page, 'Backup');
    assert.match(text, /snapshot [0-9a-f]{8} saved/);
    assert.match(text, /\d+ files?/);
    assert.match(await page.locator('.flash').innerText(), /Backup of staging finished: snapshot [0-9a-f]{8} saved/);
    page.off('response', onResponse);
    const seen = await Promise.all(answers);
    assert.ok(seen.length > 0);
    for (const a of seen) assert.equal(a.canCancel, a.state === 'pending' || a.state === 'in_progress', JSON.stringify(a));

    const row = page.locator('table.snapshots tbody tr');
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    snapshotId = (await row.first().getAttribute('data-snapshot'))!;
    assert.match(text, new RegExp(`snapshot ${snapshotId.slice(0, 8)} saved`));
    const headers = await page.locator('table.snapshots thead th').allTextContents();
    assert.deepEqual(headers, ['Created', 'Snapshot ID', 'Restorable', 'Type', 'Automated', 'Live', 'Size', 'Expires', 'Actions'], "snapshot:list's columns, then the row menu");
    const c = await cells(row.first());
    assert.deepEqual([c['Snapshot ID'], c.Restorable, c.Type, c.Automated, c.Live], [snapshotId.slice(0, 8), 'yes', 'system', 'no', 'no'], JSON.stringify(c));
    assert.match(c.Size, /^6\.\d MiB$/);
    const listed = await runJson<{ id: string }[]>(['-e', 'staging', 'snapshot:list'], { cwd: dir });
    assert.deepEqual(listed.map((s) => s.id), [snapshotId], 'the console lists what the repository holds');
    await shot(page, '04-backup-done');
  });

  it('restores through the dialog that names what is overwritten and wants the environment name typed', async () => {
    const csv = join(dir, 'shop', 'var', 'import', 'products.csv');
    await writeFile(csv, 'sku,name\nA-1,Changed after the backup\n');
    const dbFile = join(dir, 'shop', 'data', 'shop.db');
    const db = new DatabaseSync(dbFile);
    db.exec("UPDATE product SET name = 'Changed' WHERE sku = 'A-1'");
    db.close();
    assert.equal(sqliteValue(dbFile), 'Changed');

    const menu = page.locator(`tr[data-snapshot="${snapshotId}"] details.menu`);
    await menu.locator('summary').click();
    await menu.getByRole('button', { name: 'Restore…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /overwrites the current database, Redis and mounts of staging/);
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.tagName'), 'INPUT', 'focus starts in the name field');
    // Escape cancels; nothing is restored.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.tagName'), 'SUMMARY', 'focus goes back to the row menu');

    // The keyboard alone: Enter opens the row menu, Tab reaches Restore, Enter opens the dialog.
    await menu.locator('summary').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Restore…');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    const confirm = dialog.getByRole('button', { name: 'Restore staging' });
    assert.equal(await confirm.isDisabled(), true, 'disabled before the name is typed');
    const field = dialog.getByLabel('Type staging to confirm');
    await field.fill('stagin');
    assert.equal(await confirm.isDisabled(), true, 'disabled while the name is wrong');
    await field.fill('staging');
    assert.equal(await confirm.isDisabled(), false);
    await shot(page, '05-restore-dialog');
    await confirm.click();
    await dialog.waitFor({ state: 'detached' });
    const text = await finishedPanel(page, 'Restore');
    assert.match(text, new RegExp(`snapshot ${snapshotId.slice(0, 8)} restored into staging`));
    await shot(page, '06-restore-done');

    assert.equal(await readFile(csv, 'utf8'), ORIGINAL_CSV, 'the file changed after the backup is back');
    assert.equal(sqliteValue(dbFile), 'Alpha', 'the database row changed after the backup is back');
  });

  it('pins and unpins from the row menu, and lists activities with their log', async () => {
    const row = page.locator(`tr[data-snapshot="${snapshotId}"]`);
    await row.locator('summary').click();
    await row.getByRole('button', { name: 'Pin' }).click();
    await row.locator('.badge.pinned').waitFor();
    assert.match(await row.innerText(), /never/);
    await row.locator('summary').click();
    await row.getByRole('button', { name: 'Unpin' }).click();
    await row.locator('.badge.pinned').waitFor({ state: 'detached' });
    assert.equal(await row.locator('a[download]').getAttribute('href'), `/api/v1/environments/staging/snapshots/${snapshotId}/export`);

    await page.getByRole('link', { name: 'Activities', exact: true }).click();
    await page.locator('tr[data-kind="restore"][data-state="succeeded"]').waitFor();
    assert.equal(await page.locator('tr[data-kind="create"][data-state="succeeded"]').count(), 1);
    await page.locator('tr[data-kind="restore"]').getByRole('link', { name: /Details/ }).click();
    await page.getByRole('heading', { name: 'Restore of staging' }).waitFor();
    const log = page.getByRole('list', { name: 'Activity log' });
    await log.getByText('succeeded', { exact: true }).waitFor();
    assert.match(await log.innerText(), /maintenance mode on[\s\S]*maintenance mode off/);
    await shot(page, '07-activity-log');

    await page.goto(`${url}/#/env/staging/policy`);
    await page.getByRole('heading', { name: 'Schedules', exact: true }).waitFor();
    assert.match(await page.locator('main').innerText(), /Manual snapshots\s+allowed/);
  });

  it('adds a daily schedule on Schedule & retention, which a viewer only sees, and removes it', async () => {
    const config = join(dir, 'envsnap.yaml');
    await page.goto(`${url}/#/env/staging/policy`);
    await page.getByRole('heading', { name: 'Schedules', exact: true }).waitFor();
    // No schedules: list yet, so the policy's own schedule is the one run.
    await page.locator('tr[data-schedule="policy"]').waitFor();
    assert.match(await page.locator('tr[data-key="automatic.enabled"]').innerText(), /true/);

    const form = page.locator('form.schedule-form');
    // The fields follow the rhythm chosen.
    await form.getByLabel('Repeat').selectOption('weekly');
    assert.equal(await form.getByLabel('Day of the week').isVisible(), true);
    await form.getByLabel('Repeat').selectOption('cron');
    assert.equal(await form.getByLabel('Time', { exact: true }).isVisible(), false);
    assert.equal(await form.getByLabel('Cron expression').isVisible(), true);
    await form.getByLabel('ID', { exact: true }).fill('nightly');
    await form.getByLabel('Repeat').selectOption('daily');
    await form.getByLabel('Time', { exact: true }).fill('03:15');
    await form.getByLabel('Time zone').fill('Mars/Olympus');
    await form.getByRole('button', { name: 'Save schedule' }).click();
    await form.getByRole('alert').filter({ hasText: /schedule: .*Mars\/Olympus/ }).waitFor();
    assert.doesNotMatch(await readFile(config, 'utf8'), /nightly/, 'a refused schedule changes nothing');
    await shot(page, '16-schedule-refused');

    await form.getByLabel('Time zone').fill('Europe/Amsterdam');
    await form.getByLabel('Type', { exact: true }).selectOption('db');
    await form.getByLabel(/^Live/).check();
    await form.getByRole('button', { name: 'Save schedule' }).click();
    const row = page.locator('tr[data-schedule="nightly"]');
    await row.waitFor();
    assert.equal(await form.getByRole('alert').isHidden(), true, 'the error is gone');
    assert.match(await row.innerText(), /daily at 03:15[\s\S]*Europe\/Amsterdam[\s\S]*live[\s\S]*db[\s\S]*never/);
    const next = await row.locator('td[data-label="Next run"] time').getAttribute('datetime');
    assert.ok(next && Date.parse(next) > Date.now(), `next run ${next}`);
    assert.equal(await page.locator('tr[data-schedule="policy"]').count(), 0, "the list replaces the policy's schedule");
    const written = await readFile(config, 'utf8');
    assert.match(written, /id: nightly/);
    assert.match(written, /at: "?03:15"?/);
    assert.match(written, /timezone: Europe\/Amsterdam/);
    await shot(page, '17-schedules');

    // A viewer, on a phone-sized screen: the schedules, no form and no Remove.
    const ctx = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const p = await newPage(ctx);
      await p.goto(`${url}/#/env/staging/policy`);
      await logIn(p, VIEWER);
      await p.locator('tr[data-schedule="nightly"]').waitFor();
      assert.equal(await p.locator('form.schedule-form').count(), 0);
      assert.equal(await p.getByRole('button', { name: /Remove/ }).count(), 0);
      assert.match(await p.locator('main').innerText(), /Your role \(viewer\) may not change schedules of staging/);
      const o = await p.evaluate<{ doc: number; body: number }>('({ doc: document.documentElement.scrollWidth, body: document.body.scrollWidth })');
      assert.ok(o.doc <= PHONE.width && o.body <= PHONE.width, `the schedules page is wider than the screen: ${JSON.stringify(o)}`);
      await shot(p, '18-phone-schedules-viewer');
    } finally {
      await ctx.close();
    }

    await row.getByRole('button', { name: 'Remove schedule nightly' }).click();
    const dialog = page.getByRole('dialog');
    assert.match(await dialog.innerText(), /It is the last one/);
    await dialog.getByRole('button', { name: 'Remove schedule nightly' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByText('staging has no scheduled runs.').waitFor();
    assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent'), 'Schedules', 'focus goes to the list');
    assert.doesNotMatch(await readFile(config, 'utf8'), /nightly/);
  });

  it('changes the retention on Schedule & retention: a bad value is refused, a good one lands in envsnap.yaml', async () => {
    const config = join(dir, 'envsnap.yaml');
    await page.goto(`${url}/#/env/staging/policy`);
    const form = page.locator('form.retention-form');
    const keep = form.getByLabel('Keep manual snapshots for');
    await keep.waitFor();
    assert.equal(await keep.inputValue(), '7d', "the plan's value to start with");
    await keep.fill('fortnight');
    await form.getByRole('button', { name: 'Save retention' }).click();
    await form.getByRole('alert').filter({ hasText: /keep_within/ }).waitFor();
    assert.doesNotMatch(await readFile(config, 'utf8'), /fortnight/, 'a refused value changes nothing');
    await keep.fill('14d');
    await form.getByLabel('At most this many manual snapshots').fill('5');
    await form.getByRole('button', { name: 'Save retention' }).click();
    await page.locator('tr[data-key="manual.keep_within"] td[data-label="Value"]').filter({ hasText: '14d' }).waitFor();
    await page.locator('tr[data-key="manual.max_count"] td[data-label="Value"]').filter({ hasText: '5' }).waitFor();
    const text = await readFile(config, 'utf8');
    assert.match(text, /keep_within: 14d/);
    assert.match(text, /max_count: 5/);
    await shot(page, '20-retention-saved');
  });

  it("disables Backup where the policy allows no manual snapshot, saying why", async () => {
    await page.goto(`${url}/#/env/production`);
    const button = page.getByRole('button', { name: 'Back up now' });
    await button.waitFor();
    assert.equal(await button.isDisabled(), true);
    assert.match(await page.locator('.backup-form .reason').innerText(), /manual snapshots are not available for production/);
    await shot(page, '08-production-disabled');
  });

  it('lets an admin add a user, change the role and remove the user', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.locator('tr[data-user="viewer1"]').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('dev1');
    await page.getByLabel(/^Password/).fill('dev-password-1');
    await page.locator('form.add-user').getByLabel('Role').selectOption('contributor');
    await page.locator('form.add-user').getByLabel('staging').check();
    await page.getByRole('button', { name: 'Add user' }).click();
    const dev = page.locator('tr[data-user="dev1"]');
    await dev.waitFor();
    assert.match(await dev.innerText(), /contributor[\s\S]*staging[\s\S]*yes/);
    await shot(page, '09-users');

    await dev.getByRole('button', { name: 'Change the role of dev1' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Role').selectOption('viewer');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.locator('tr[data-user="dev1"]').filter({ hasText: 'viewer' }).waitFor();

    await dev.getByRole('button', { name: 'Remove dev1' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove dev1' }).click();
    await dev.waitFor({ state: 'detached' });
    const users = await runJson<{ name: string }[]>(['user:list'], { cwd: dir });
    assert.deepEqual(users.map((u) => u.name).sort(), ['admin1', 'dev2', 'viewer1']);
  });

  it('shows a 409 refusal, a banner when the server cannot be reached, and the login form after a 401', async () => {
    await page.goto(`${url}/#/env/staging`);
    await page.getByRole('button', { name: 'Back up now' }).waitFor();
    const busy = 'an activity is already in progress on staging (0123456789abcdef, create): wait for it to finish';
    await page.route('**/api/v1/environments/staging/snapshots', (route) =>
      route.request().method() === 'POST' ? route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: { code: 'BUSY', message: busy } }) }) : route.continue(),
    );
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.getByRole('alert').filter({ hasText: busy }).waitFor();
    await page.unrouteAll();

    await page.route('**/api/v1/**', (route) => route.abort('connectionrefused'));
    await page.getByRole('link', { name: 'Activities', exact: true }).click();
    const banner = page.locator('#offline');
    await banner.waitFor();
    assert.match(await banner.innerText(), /cannot reach the envsnap server/i);
    await shot(page, '10-server-unreachable');
    await page.unrouteAll();
    await page.getByRole('button', { name: 'Retry now' }).click();
    await page.locator('tr[data-kind="restore"]').waitFor();
    assert.equal(await banner.isVisible(), false);

    // The session ends (cookie gone): the next request's 401 leads back to the login form, then to the page.
    await admin.clearCookies();
    await page.getByRole('link', { name: 'Schedule & retention' }).click();
    await page.getByRole('heading', { name: 'Log in to envsnap' }).waitFor();
    assert.match(await page.locator('.login-message').innerText(), /session has ended/);
    await shot(page, '11-session-ended');
    await logIn(page, ADMIN);
    await page.getByRole('heading', { name: 'Schedules', exact: true }).waitFor();
  });

  it('refuses a POST of the console session without the CSRF header', async () => {
    const before = (await runJson<unknown[]>(['-e', 'staging', 'snapshot:list'], { cwd: dir })).length;
    const r = await page.evaluate(async () => {
      const res = await fetch('/api/v1/environments/staging/snapshots', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
    });
    assert.equal(r.status, 403);
    assert.match(r.body.error.message, /CSRF/);
    const activities = await page.evaluate(async () => (await (await fetch('/api/v1/activities?environment=staging')).json()) as { kind: string }[]);
    assert.deepEqual(activities.map((a) => a.kind), ['restore', 'create'], 'no activity was started');
    assert.equal((await runJson<unknown[]>(['-e', 'staging', 'snapshot:list'], { cwd: dir })).length, before);
  });

  it('shows a viewer no Backup and no Restore, and the server refuses a forged restore', async () => {
    const { ctx, p } = await stagingAs(VIEWER);
    try {
      assert.equal(await p.getByRole('button', { name: 'Back up now' }).isDisabled(), true);
      assert.match(await p.locator('.backup-form .reason').innerText(), /Your role \(viewer\) may not take backups of staging/);
      assert.equal(await p.locator('details.menu').count(), 0, 'no action menu at all');
      assert.equal(await p.getByRole('button', { name: /Restore/ }).count(), 0);
      assert.equal(await p.getByRole('button', { name: /Delete/ }).count(), 0);
      assert.equal(await p.getByRole('link', { name: 'Users' }).count(), 0);
      await shot(p, '12-viewer-backups');

      const forged = await p.evaluate(async (id) => {
        const me = (await (await fetch('/api/v1/me')).json()) as { csrfToken: string };
        const res = await fetch(`/api/v1/environments/staging/snapshots/${id}/restore`, { method: 'POST', headers: { 'X-CSRF-Token': me.csrfToken, 'Content-Type': 'application/json' }, body: '{}' });
        return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
      }, snapshotId);
      assert.equal(forged.status, 403);
      assert.equal(forged.body.error.code, 'FORBIDDEN');
      assert.match(forged.body.error.message, /viewer1 \(viewer\) may not restore/);
      const kinds = await p.evaluate(async () => ((await (await fetch('/api/v1/activities?environment=staging')).json()) as { kind: string }[]).map((a) => a.kind));
      assert.deepEqual(kinds, ['restore', 'create'], 'no restore was started');
    } finally {
      await ctx.close();
    }
  });

  let liveId = '';

  it('lists a backup taken with Live ticked as live, in the table and in the API, and the others as not', async () => {
    await page.goto(`${url}/#/env/staging`);
    await page.getByLabel('Type').selectOption('db');
    await page.getByLabel(/^Live/).check();
    await page.getByRole('button', { name: 'Back up now' }).click();
    const text = await finishedPanel(page, 'Backup');
    const listed = (await pageApi<{ id: string; live: boolean | null }[]>(page, 'GET', '/environments/staging/snapshots')).body;
    assert.equal(listed.length, 2);
    liveId = listed[1].id;
    assert.match(text, new RegExp(`snapshot ${liveId.slice(0, 8)} saved`));
    assert.deepEqual(listed.map((s) => [s.id, s.live]), [[snapshotId, false], [liveId, true]]);
    const live = page.locator(`tr[data-snapshot="${liveId}"]`);
    await live.waitFor();
    assert.deepEqual([(await cells(live)).Type, (await cells(live)).Live], ['db', 'yes']);
    assert.equal((await cells(page.locator(`tr[data-snapshot="${snapshotId}"]`))).Live, 'no');
    await shot(page, '21-live-backup');
  });

  it("shows each environment's last snapshot and next scheduled run on the environment list", async () => {
    await page.goto(`${url}/#/`);
    await page.locator('tr[data-environment="held"]').waitFor();
    const cell = (env: string, column: string) => page.locator(`tr[data-environment="${env}"] td[data-label="${column}"]`);

    const listed = (await pageApi<{ id: string; shortId: string; created: string }[]>(page, 'GET', '/environments/staging/snapshots')).body;
    const last = listed.at(-1)!;
    assert.equal(last.id, liveId);
    assert.equal(await cell('staging', 'Last snapshot').locator('code').innerText(), last.shortId);
    assert.equal(await cell('staging', 'Last snapshot').locator('time').getAttribute('datetime'), new Date(last.created).toISOString());
    assert.match(await cell('staging', 'Last snapshot').innerText(), /\(2 in all\)/);
    // staging runs the policy's hourly schedule; production its daily run at DAILY_HOUR:00 UTC.
    // production runs daily at DAILY_HOUR:00 UTC; staging's schedules: list is empty since its last run was removed above.
    assert.equal(await cell('production', 'Next scheduled run').locator('time').getAttribute('datetime'), nextDailyRun(Date.now(), DAILY_HOUR));
    assert.equal(await cell('production', 'Last snapshot').innerText(), 'none');
    assert.equal(await cell('staging', 'Next scheduled run').innerText(), 'no schedule');
    // held takes no automatic snapshots and has none yet.
    assert.equal(await cell('held', 'Next scheduled run').innerText(), 'no schedule');
    assert.equal(await cell('held', 'Last snapshot').innerText(), 'none');
    await shot(page, '22-environments-runs');
  });

  it('deletes a snapshot through the row menu and its confirmation: gone from the table and from the API', async () => {
    await page.goto(`${url}/#/env/staging`);
    const row = page.locator(`tr[data-snapshot="${liveId}"]`);
    const dialog = page.getByRole('dialog');
    await row.locator('summary').click();
    await row.getByRole('button', { name: 'Delete…' }).click();
    assert.match(await dialog.innerText(), /is deleted from the repository; this cannot be undone/);
    // Cancel deletes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.locator('summary').click();
    await row.getByRole('button', { name: 'Delete…' }).click();
    await shot(page, '23-delete-dialog');
    await dialog.getByRole('button', { name: 'Delete snapshot' }).click();
    const text = await finishedPanel(page, 'Delete');
    assert.match(text, new RegExp(`snapshot ${liveId.slice(0, 8)} deleted`));
    await row.waitFor({ state: 'detached' });
    assert.equal(await page.locator(`tr[data-snapshot="${snapshotId}"]`).count(), 1, 'the other snapshot stays');
    const listed = (await pageApi<{ id: string }[]>(page, 'GET', '/environments/staging/snapshots')).body;
    assert.deepEqual(listed.map((s) => s.id), [snapshotId]);
    assert.deepEqual((await runJson<{ id: string }[]>(['-e', 'staging', 'snapshot:list'], { cwd: dir })).map((s) => s.id), [snapshotId]);
  });

  it('shows the 403 of an action the page still offered after the role changed, and starts nothing', async () => {
    const { ctx, p } = await stagingAs(CONTRIBUTOR);
    try {
      const button = p.getByRole('button', { name: 'Back up now' });
      assert.equal(await button.isDisabled(), false);
      // An admin makes dev2 a viewer while dev2's page still offers Backup.
      assert.equal((await pageApi(page, 'PATCH', `/users/${CONTRIBUTOR.user}`, { role: 'viewer' })).status, 200);
      const kinds = async () => (await pageApi<{ kind: string }[]>(page, 'GET', '/activities?environment=staging')).body.map((a) => a.kind);
      const before = await kinds();
      await button.click();
      const alert = p.getByRole('alert').filter({ hasText: /dev2 \(viewer\) may not/ });
      await alert.waitFor();
      assert.match(await alert.innerText(), /dev2 \(viewer\) may not backup on staging: ask an admin/);
      // The page asks again what dev2 may do, and stops offering Backup.
      await p.locator('.backup-form .reason').filter({ hasText: 'Your role (viewer) may not take backups of staging' }).waitFor();
      assert.equal(await button.isDisabled(), true);
      assert.match(await p.locator('nav .who').innerText(), /dev2 \(viewer\)/);
      await shot(p, '24-forbidden');
      assert.deepEqual(await kinds(), before, 'no backup was started');
    } finally {
      await ctx.close();
    }
  });

  it('shows a running backup with its state while it is held, and finished once released', async (t) => {
    await hold.arm(t);
    await page.goto(`${url}/#/env/held`);
    const button = page.getByRole('button', { name: 'Back up now' });
    await page.getByText('No snapshots of held yet.').waitFor();
    await button.click();
    await hold.started();
    const running = page.locator('.activity-panel[data-state="in_progress"]').filter({ hasText: 'Backup' });
    await running.waitFor();
    // Held in the maintenance on-command: running, no byte read yet, the bar indeterminate, Backup refused meanwhile.
    assert.match(await running.locator('.activity-head').innerText(), /^Backup running by admin1/);
    assert.equal(await running.locator('.activity-progress').innerText(), 'starting…');
    assert.equal(await running.locator('progress').getAttribute('value'), null);
    assert.equal(await running.getByRole('button', { name: 'Cancel' }).count(), 1);
    assert.equal(await button.isDisabled(), true);
    assert.match(await page.locator('.backup-form .reason').innerText(), /A backup is running on held: wait for it to finish/);
    await shot(page, '25-backup-running');
    // The environment list shows it too, and the Backups page picks it up again when opened anew.
    await page.goto(`${url}/#/`);
    assert.equal(await page.locator('tr[data-environment="held"] td[data-label="Activity"]').innerText(), 'Backup running');
    await page.goto(`${url}/#/env/held`);
    await running.waitFor();

    await hold.release();
    const text = await finishedPanel(page, 'Backup');
    assert.match(text, /1 file[\s\S]*snapshot [0-9a-f]{8} saved/);
    assert.equal(await page.locator('.activity-panel progress').getAttribute('value'), '100');
    await page.locator('table.snapshots tbody tr').waitFor();
    assert.equal(await button.isDisabled(), false);
    const listed = (await pageApi<{ shortId: string }[]>(page, 'GET', '/environments/held/snapshots')).body;
    assert.equal(listed.length, 1);
    assert.match(text, new RegExp(`snapshot ${listed[0].shortId} saved`));
  });

  it('fits a phone-sized screen without horizontal overflow', async () => {
    const ctx = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const p = await newPage(ctx);
      await p.goto(`${url}/#/env/staging`);
      await logIn(p, ADMIN);
      await p.locator(`tr[data-snapshot="${snapshotId}"]`).waitFor();
      // (Expressions as strings: this file is type-checked for Node, without the DOM's types.)
      // Against the width set, not window.innerWidth: a mobile browser widens its viewport to content that overflows.
      const overflow = async () => ({ ...(await p.evaluate<{ doc: number; body: number }>('({ doc: document.documentElement.scrollWidth, body: document.body.scrollWidth })')), width: PHONE.width });
      let o = await overflow();
      assert.ok(o.doc <= o.width && o.body <= o.width, `the Backups page is wider than the screen: ${JSON.stringify(o)}`);
      await shot(p, '13-phone-backups');
      const row = p.locator(`tr[data-snapshot="${snapshotId}"]`);
      await row.locator('summary').click();
      await row.getByRole('button', { name: 'Restore…' }).click();
      await p.getByRole('dialog').waitFor();
      o = await overflow();
      assert.ok(o.doc <= o.width, `the restore dialog overflows: ${JSON.stringify(o)}`);
      await shot(p, '14-phone-restore-dialog');
      await p.keyboard.press('Escape');
      for (const [hash, row] of [['#/', 'tr[data-environment]'], ['#/env/staging/activities', 'tr[data-activity]'], ['#/env/staging/policy', 'form.schedule-form'], ['#/users', 'tr[data-user]']]) {
        await p.goto(`${url}/${hash}`);
        await p.locator(row).first().waitFor();
        o = await overflow();
        assert.ok(o.doc <= o.width && o.body <= o.width, `${hash} is wider than the screen: ${JSON.stringify(o)}`);
        if (hash === '#/env/staging/policy') await shot(p, '19-phone-policy');
      }
      await shot(p, '15-phone-users');
    } finally {
      await ctx.close();
    }
  });

  it('logs out', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    assert.equal(status, 401);
    assert.deepEqual(pageErrors, [], 'no uncaught error in the pages');
  });
});
