/** The program version recorded in snapshots and shown by --version. */
export const PROGRAM_VERSION = '0.1.0';
