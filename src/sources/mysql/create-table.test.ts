/** Splitting SHOW CREATE TABLE for the deferred index build, and setting the AUTO_INCREMENT counter. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitCreateTable, withAutoIncrement } from './create-table.ts';

const orders = [
  'CREATE TABLE `sales order (x,y)` (',
  '  `entity_id` int(10) unsigned NOT NULL AUTO_INCREMENT,',
  "  `note` varchar(20) DEFAULT 'a, (b) `c`' COMMENT 'KEY x (y), FOREIGN KEY',",
  '  `customer_id` int(10) unsigned DEFAULT NULL,',
  '  PRIMARY KEY (`entity_id`),',
  '  UNIQUE KEY `uniq note` (`note`,`customer_id`),',
  '  KEY `by_customer` (`customer_id`),',
  '  CONSTRAINT `fk customer` FOREIGN KEY (`customer_id`) REFERENCES `customer` (`entity_id`) ON DELETE SET NULL,',
  '  CONSTRAINT `positive` CHECK (`entity_id` > 0)',
  ") ENGINE=InnoDB AUTO_INCREMENT=26 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='orders, (all)'",
].join('\n');

describe('splitCreateTable', () => {
  it('keeps columns, the primary key and checks; defers secondary keys and foreign keys; switches statistics off until the load is done', () => {
    const s = splitCreateTable(orders);
    assert.deepEqual(s.indexes, ['UNIQUE KEY `uniq note` (`note`,`customer_id`)', 'KEY `by_customer` (`customer_id`)']);
    assert.deepEqual(s.foreignKeys, ['CONSTRAINT `fk customer` FOREIGN KEY (`customer_id`) REFERENCES `customer` (`entity_id`) ON DELETE SET NULL']);
    assert.deepEqual(s.finish, ['STATS_AUTO_RECALC=DEFAULT']);
    assert.equal(
      s.create,
      [
        'CREATE TABLE `sales order (x,y)` (',
        '  `entity_id` int(10) unsigned NOT NULL AUTO_INCREMENT,',
        "  `note` varchar(20) DEFAULT 'a, (b) `c`' COMMENT 'KEY x (y), FOREIGN KEY',",
        '  `customer_id` int(10) unsigned DEFAULT NULL,',
        '  PRIMARY KEY (`entity_id`),',
        '  CONSTRAINT `positive` CHECK (`entity_id` > 0)',
        ") ENGINE=InnoDB STATS_AUTO_RECALC=0 AUTO_INCREMENT=26 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='orders, (all)'",
      ].join('\n'),
    );
  });

  it('keeps every key in the CREATE when deferring would change the table', () => {
    const noPk = splitCreateTable('CREATE TABLE `t` (\n  `a` int NOT NULL,\n  UNIQUE KEY `a` (`a`)\n) ENGINE=InnoDB');
    assert.deepEqual(noPk.indexes, []);
    const fulltext = splitCreateTable('CREATE TABLE `t` (\n  `id` int NOT NULL,\n  `x` text,\n  PRIMARY KEY (`id`),\n  KEY `k` (`id`,`x`(10)),\n  FULLTEXT KEY `f` (`x`)\n) ENGINE=InnoDB');
    assert.deepEqual(fulltext.indexes, []);
    assert.match(fulltext.create, /KEY `k`/);
    const autoInSecondKey = splitCreateTable(
      'CREATE TABLE `t` (\n  `a` int NOT NULL,\n  `id` int NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`a`,`id`),\n  KEY `id` (`id`)\n) ENGINE=InnoDB',
    );
    assert.deepEqual(autoInSecondKey.indexes, []);
  });

  it('puts back an explicit STATS_AUTO_RECALC and leaves other engines alone', () => {
    assert.deepEqual(splitCreateTable('CREATE TABLE `t` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB STATS_AUTO_RECALC=1').finish, ['STATS_AUTO_RECALC=1']);
    const myisam = splitCreateTable('CREATE TABLE `t` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=MyISAM');
    assert.deepEqual(myisam.finish, []);
    assert.match(myisam.create, /\) ENGINE=MyISAM$/);
  });
});

describe('withAutoIncrement', () => {
  it('sets, replaces or removes the counter of the table options only', () => {
    assert.match(withAutoIncrement(orders, '20'), /\) ENGINE=InnoDB AUTO_INCREMENT=20 DEFAULT CHARSET/);
    assert.doesNotMatch(withAutoIncrement(orders, undefined), /\) ENGINE=InnoDB AUTO_INCREMENT/);
    assert.doesNotMatch(withAutoIncrement(orders, '1'), /\) ENGINE=InnoDB AUTO_INCREMENT/);
    assert.match(withAutoIncrement(orders, '20'), /`entity_id` int\(10\) unsigned NOT NULL AUTO_INCREMENT,/);
    assert.equal(withAutoIncrement('CREATE TABLE `t` (\n  `id` int\n) ENGINE=InnoDB DEFAULT CHARSET=latin1', '7'), 'CREATE TABLE `t` (\n  `id` int\n) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=latin1');
  });
});
