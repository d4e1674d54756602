/** The parts of an environment a restore can be limited to (`snapshot:restore --only`), in restore order. */
export type RestorePart = 'database' | 'redis' | 'mounts';
export const RESTORE_PARTS: readonly RestorePart[] = ['database', 'redis', 'mounts'];
