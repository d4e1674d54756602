/**
 * `envsnap scheduler`: runs the automatic snapshots of the project's environments (or of -e ENV) on
 * their schedules, in the foreground, until SIGINT/SIGTERM. Each run is snapshotEnvironment with
 * trigger automatic, followed by expire for that environment. On a signal the CLI's handler ends
 * maintenance mode and releases the repository lock of a snapshot in flight before exiting; the run
 * history then shows that run as interrupted at the next start.
 */
import type { Command } from 'commander';
import { getEnvironment } from '../../config/project-config.ts';
import { EnvsnapError } from '../../core/errors.ts';
import { noProgress } from '../../core/logger.ts';
import type { AppContext } from '../../app/context.ts';
import { snapshotEnvironment } from '../../app/environment-snapshots.ts';
import { expire } from '../../app/expire.ts';
import { withRepository } from '../../app/open-repository.ts';
import { backupTypeLabel } from '../../policy/backup-types.ts';
import { describeSchedule, nextRunAt } from '../../policy/schedule.ts';
import { projectRunHistory } from '../../state/run-history-store.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { projectRuns, scheduledRuns } from '../../scheduler/schedules.ts';
import { Session } from '../session.ts';
import { formatLocal } from './schedule-list.ts';

export function register(program: Command): void {
  program
    .command('scheduler')
    .description('take the automatic snapshots of the project on their schedules, in the foreground, until Ctrl-C or SIGTERM')
    .addHelpText(
      'after',
      `
Runs every environment's schedules (see schedule:list), or only those of the global -e ENV. A run
missed while the scheduler was not running is taken once at start-up; a failed run is retried after
1, 5 and 15 minutes; a run due while another run of the same environment is going is skipped.
After each successful snapshot, expire applies the environment's retention policy. The run history
is kept in the state database .envsnap/state/server.db next to envsnap.yaml.`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const project = await s.project();
      if (!project) throw new EnvsnapError('CONFIG', 'the scheduler needs a project configuration: run it where envsnap.yaml is, or pass --config FILE');
      const runs = s.globals.env !== undefined ? scheduledRuns(getEnvironment(project, s.globals.env)) : projectRuns(project);
      if (runs.length === 0) {
        throw new EnvsnapError('CONFIG', `no environment${s.globals.env ? ` named ${s.globals.env}` : ''} in ${project.file} takes automatic snapshots: add a schedule with envsnap -e ENV schedule:set (automatic.enabled must be true in its policy)`);
      }
      const ref = await s.repoRef();
      // Open for the life of the process (the scheduler runs until a signal).
      const { history } = await projectRunHistory(project.file);
      // No progress line: the scheduler's output is a log.
      const ctx: AppContext = { ...s.ctx, progress: noProgress };
      const scheduler = new Scheduler({
        clock: ctx.clock,
        logger: ctx.logger,
        history,
        runs,
        runSnapshot: async (run) => {
          const env = project.environments.get(run.env)!;
          const snap = await withRepository(ctx, ref, (repo) => snapshotEnvironment(ctx, repo, { project, env, live: run.live, trigger: 'automatic', backupType: run.backupType, excludeMedia: run.excludeMedia }));
          return { snapshotId: snap.id };
        },
        expire: async (env) => {
          const r = await withRepository(ctx, ref, (repo) => expire(ctx, repo, { project, env }));
          if (r.removed.length > 0) ctx.logger.info(`${env}: expired ${r.removed.length} snapshot(s)`);
        },
      });
      const now = ctx.clock.now();
      ctx.logger.info(`scheduler started for ${project.file}:`);
      for (const r of runs) ctx.logger.info(`  ${r.env} ${r.id}: ${describeSchedule(r.schedule)}, ${r.live ? 'live' : 'maintenance mode'}, ${backupTypeLabel(r.backupType, r.excludeMedia)}; next run ${formatLocal(nextRunAt(r.schedule, now), r.schedule.timezone)}`);
      await scheduler.run();
    });
}
