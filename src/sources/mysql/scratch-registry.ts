/**
 * The scratch databases this process has not dropped yet (see scratch-database.ts), apart from the
 * driver so the CLI's signal handler can drop them without loading the MySQL code on every run.
 */
interface Droppable {
  drop(): Promise<void>;
}

const live = new Set<Droppable>();

export function trackScratchDatabase(db: Droppable): void {
  live.add(db);
}

export function untrackScratchDatabase(db: Droppable): void {
  live.delete(db);
}

/** Drops every scratch database this process still has (the CLI's signal handler awaits it before exiting). */
export async function dropAllScratchDatabases(): Promise<void> {
  await Promise.all([...live].map((s) => s.drop().catch(() => {})));
}
