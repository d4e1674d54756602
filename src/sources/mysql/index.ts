/**
 * The MySQL/MariaDB driver: MysqlSource and MysqlSink for snapshots, and the pieces `db:dump`
 * reuses — consistent snapshot (consistent-snapshot.ts), schema reading (schema-reader.ts), part
 * planning (part-planner.ts) and the raw row reader (table-reader.ts) with its encoders.
 */
export { MysqlSource, type MysqlSourceOptions } from './mysql-source.ts';
export { MysqlSink, type MysqlSinkOptions } from './mysql-sink.ts';
export { MysqlConnection, serverAddress, type MysqlConnectionSettings } from './connection.ts';
export { openConsistentSnapshot, openWorkers, pinSnapshot, serverInfo, type ConsistentSnapshot, type ServerInfo, type SnapshotPoint } from './consistent-snapshot.ts';
export { listObjects, readColumns, showCreateObject, showCreateTable, type DatabaseObjects, type TableColumns } from './schema-reader.ts';
export { planTable, selectExpression, type PartPlan, type TablePlan } from './part-planner.ts';
export { ByteSink, RowStream, useBinaryResults, type RawRow, type RowEncoder } from './table-reader.ts';
export { TsvEncoder } from './tsv-encoder.ts';
export { quoteIdent, quoteString, qualified } from './quote.ts';
