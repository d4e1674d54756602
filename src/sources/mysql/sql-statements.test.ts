import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqlStatementSplitter, statementAction } from './sql-statements.ts';

/** The statements (as text, trimmed) and their lines, the script fed in pieces of `size` bytes. */
function split(script: string | Buffer, size = 1 << 20): { sql: string; line: number }[] {
  const bytes = Buffer.isBuffer(script) ? script : Buffer.from(script, 'utf8');
  const s = new SqlStatementSplitter();
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(...s.push(bytes.subarray(i, Math.min(bytes.length, i + size))));
  out.push(...s.end());
  return out.map((x) => ({ sql: x.sql.toString('utf8').trim(), line: x.line }));
}

/** The same result however the script is cut into pieces. */
function splitEveryWay(script: string): { sql: string; line: number }[] {
  const whole = split(script);
  for (const size of [1, 2, 3, 5, 7, 13]) assert.deepEqual(split(script, size), whole, `pieces of ${size} bytes`);
  return whole;
}

describe('SqlStatementSplitter', () => {
  it('cuts at semicolons outside strings, names and comments, with the line of each statement', () => {
    const script = [
      '-- MariaDB dump',
      '/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;',
      "INSERT INTO `t;1` VALUES (1,'a;b'),(2,'it''s; \\' ;'),(3,\"q;\\\"\");",
      '# a comment; with a semicolon',
      '/* block ; comment */ SELECT 1;',
      'SELECT 2 -- trailing; comment',
      ';',
      'SELECT 3--1;',
    ].join('\n');
    assert.deepEqual(splitEveryWay(script), [
      { sql: '-- MariaDB dump\n/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */', line: 2 },
      { sql: "INSERT INTO `t;1` VALUES (1,'a;b'),(2,'it''s; \\' ;'),(3,\"q;\\\"\")", line: 3 },
      { sql: '# a comment; with a semicolon\n/* block ; comment */ SELECT 1', line: 5 },
      { sql: 'SELECT 2 -- trailing; comment', line: 6 },
      { sql: 'SELECT 3--1', line: 8 },
    ]);
  });

  it('follows DELIMITER lines, as the mysql client does for triggers and routines', () => {
    const script = [
      'DELIMITER ;;',
      '/*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN',
      '  SET NEW.a = 1;',
      '  SET NEW.b = 2;',
      'END */;;',
      'delimiter $$',
      'CREATE PROCEDURE p() BEGIN SELECT 1; END$$',
      'DELIMITER ;',
      'SELECT 4;',
    ].join('\n');
    assert.deepEqual(splitEveryWay(script), [
      { sql: '/*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN\n  SET NEW.a = 1;\n  SET NEW.b = 2;\nEND */', line: 2 },
      { sql: 'CREATE PROCEDURE p() BEGIN SELECT 1; END', line: 7 },
      { sql: 'SELECT 4', line: 9 },
    ]);
  });

  it("drops pieces without code (MariaDB's sandbox line, comments at the end) and keeps a last statement without delimiter", () => {
    const script = '/*M!999999\\- enable the sandbox mode */ \n-- dump\n/*!40101 SET NAMES utf8mb4 */;\n\n-- Dump completed\n';
    assert.deepEqual(splitEveryWay(script), [{ sql: '/*M!999999\\- enable the sandbox mode */ \n-- dump\n/*!40101 SET NAMES utf8mb4 */', line: 1 }]);
    assert.deepEqual(splitEveryWay('/* only */ -- comments\n# here\n'), []);
    assert.deepEqual(splitEveryWay('SELECT 1;\nSELECT 2'), [
      { sql: 'SELECT 1', line: 1 },
      { sql: 'SELECT 2', line: 2 },
    ]);
  });

  it('keeps bytes that are not UTF-8 exactly, a backslash-escaped quote inside the string', () => {
    const first = Buffer.concat([Buffer.from("INSERT INTO b VALUES ('"), Buffer.from([0xff, 0x00, 0x5c, 0x27, 0x3b, 0xfe, 0x80]), Buffer.from("')")]);
    const s = new SqlStatementSplitter();
    const out = [...s.push(Buffer.concat([first, Buffer.from(';\nSELECT 1;')])), ...s.end()];
    assert.equal(out.length, 2);
    assert.deepEqual(out[0].sql, first);
  });

  it('says where a script ends inside a string or comment (a truncated dump)', () => {
    assert.throws(() => split("SELECT 1;\nINSERT INTO t VALUES (1,'abc"), /ends inside a quoted string opened at line 2, so it is truncated/);
    assert.throws(() => split('SELECT 1;\n\n/* open comment'), /ends inside a comment opened at line 3/);
    assert.throws(() => split('CREATE TABLE `t'), /ends inside a quoted name opened at line 1/);
  });
});

describe('statementAction', () => {
  const action = (sql: string) => statementAction(Buffer.from(sql));
  it('skips what would leave the scratch database or change the server, naming the database', () => {
    assert.deepEqual(action('USE `shop`'), { run: false, what: 'USE', database: 'shop' });
    assert.deepEqual(action('-- comment\nuse shop2'), { run: false, what: 'USE', database: 'shop2' });
    assert.deepEqual(action('CREATE DATABASE /*!32312 IF NOT EXISTS*/ `my``db` /*!40100 DEFAULT CHARACTER SET utf8mb4 */'), { run: false, what: 'CREATE DATABASE', database: 'my`db' });
    assert.deepEqual(action('/*!40000 DROP DATABASE IF EXISTS `shop`*/'), { run: false, what: 'DROP DATABASE', database: 'shop' });
    assert.deepEqual(action('create schema s'), { run: false, what: 'CREATE DATABASE', database: 's' });
    assert.deepEqual(action("SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'x:1-5'"), { run: false, what: 'SET GLOBAL' });
    assert.deepEqual(action('SET GLOBAL max_connections = 10'), { run: false, what: 'SET GLOBAL' });
    assert.deepEqual(action("CHANGE MASTER TO MASTER_LOG_FILE='b.1'"), { run: false, what: 'CHANGE MASTER' });
  });
  it('runs everything else', () => {
    for (const sql of ['/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE */', 'SET NAMES utf8mb4', 'CREATE TABLE `use` (a int)', 'INSERT INTO `database` VALUES (1)', 'DROP TABLE IF EXISTS `t`', 'ALTER DATABASE CHARACTER SET utf8mb4', '/* USE x */ SELECT 1']) {
      assert.deepEqual(action(sql), { run: true }, sql);
    }
  });
});
