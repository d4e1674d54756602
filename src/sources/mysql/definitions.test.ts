/** Rewriting database qualifiers in definitions and dropping DEFINER clauses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definerOf, rewriteSchema, withoutDefiner } from './definitions.ts';

describe('rewriteSchema', () => {
  it('rewrites quoted and bare qualifiers, keeping their quoting, and nothing in strings, comments or other names', () => {
    const body = [
      'BEGIN',
      "  SELECT COUNT(*) INTO n FROM `shop`.`orders` o JOIN shop.items i ON i.order_id = o.id WHERE o.note <> 'shop.orders' AND o.shop = 1;",
      '  -- shop.orders is counted',
      '  /* shop.items too */ UPDATE shop . stats SET shop_total = n;',
      '  SELECT `shop2`.x, myshop.y, t.shop.z FROM `shop`.t;',
      'END',
    ].join('\n');
    assert.equal(
      rewriteSchema(body, 'shop', 'staging_1'),
      [
        'BEGIN',
        "  SELECT COUNT(*) INTO n FROM `staging_1`.`orders` o JOIN staging_1.items i ON i.order_id = o.id WHERE o.note <> 'shop.orders' AND o.shop = 1;",
        '  -- shop.orders is counted',
        '  /* shop.items too */ UPDATE staging_1 . stats SET shop_total = n;',
        '  SELECT `shop2`.x, myshop.y, t.shop.z FROM `staging_1`.t;',
        'END',
      ].join('\n'),
    );
  });

  it('quotes a new name that cannot stand bare, and reads "…" as a name under ANSI_QUOTES', () => {
    assert.equal(rewriteSchema('SELECT * FROM shop.t', 'shop', 'new-db'), 'SELECT * FROM `new-db`.t');
    assert.equal(rewriteSchema('SELECT "shop".t FROM "shop".t', 'shop', 'b', true), 'SELECT `b`.t FROM `b`.t');
    assert.equal(rewriteSchema('SELECT "shop.t"', 'shop', 'b'), 'SELECT "shop.t"');
  });
});

describe('definer clauses', () => {
  it('finds and removes the DEFINER of views, routines, triggers and events', () => {
    const view = 'CREATE ALGORITHM=UNDEFINED DEFINER=`app`@`%` SQL SECURITY DEFINER VIEW `v` AS select 1 AS `1`';
    assert.equal(definerOf(view), '`app`@`%`');
    assert.equal(withoutDefiner(view), 'CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1 AS `1`');
    const trigger = 'CREATE DEFINER=`we``ird`@`local host` trigger trg after insert on t for each row set @x = 1';
    assert.equal(definerOf(trigger), '`we``ird`@`local host`');
    assert.equal(withoutDefiner(trigger), 'CREATE trigger trg after insert on t for each row set @x = 1');
    assert.equal(withoutDefiner('CREATE DEFINER=`role_admin` PROCEDURE `p`() SELECT 1'), 'CREATE PROCEDURE `p`() SELECT 1');
    assert.equal(definerOf('CREATE VIEW `v` AS SELECT 1'), undefined);
  });
});
