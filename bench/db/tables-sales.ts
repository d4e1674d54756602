/**
 * Generated sales tables — orders with their items, addresses, payments, grid rows and status history,
 * and the quotes (carts) with their items — as wide as Magento's (sales_order has dozens of columns). An
 * order's items are derived from its id, so that the order's totals and its item rows agree.
 */
import { fk, type Counts, type TableDef } from './table-def.ts';
import { CITIES, FIRST, LAST, PAYMENTS, SHIPPING, STATUSES, STREETS, between, datetime, datetimeAt, email, hex, ip, money, pick, priceCents, productName, productSku, sentences, type Value } from './values.ts';

type Row = Record<string, Value>;

/** A table whose rows are generated as records by column name (a missing column gets its NOT NULL default, else NULL). */
function wide(def: Omit<TableDef, 'rows'> & { records(c: Counts): Iterable<Row> }): TableDef {
  const names = def.columns.map((col) => col.split(' ')[0]);
  const known = new Set(names);
  const defaults = def.columns.map((col) => /NOT NULL DEFAULT '?([^' ]*)'?/.exec(col)?.[1] ?? null);
  const { records, ...rest } = def;
  return {
    ...rest,
    *rows(c) {
      for (const r of records(c)) {
        for (const k in r) if (!known.has(k)) throw new Error(`${def.name}: generated value for unknown column ${k}`);
        yield names.map((n, i) => (r[n] === undefined ? defaults[i] : r[n]));
      }
    },
  };
}

const decimal = (name: string, def = 'DEFAULT NULL') => `${name} decimal(20,4) ${def}`;
const decimals = (...names: string[]) => names.map((n) => decimal(n));

interface Item {
  product: number;
  qty: number;
  cents: number;
}

function itemsOf(o: number, c: Counts): Item[] {
  return Array.from({ length: 1 + (o % 5 === 0 ? 3 : between(o, 50, 0, 3)) }, (_, k) => {
    const product = between(o, 51 + k, 1, c.products);
    return { product, qty: between(o, 60 + k, 1, 3), cents: priceCents(product) };
  });
}

function customerOf(o: number, c: Counts): number | null {
  return o % 4 === 0 ? null : between(o, 2, 1, c.customers);
}

function orderTotals(o: number, c: Counts) {
  const items = itemsOf(o, c);
  const subtotal = items.reduce((s, i) => s + i.cents * i.qty, 0);
  const shipping = o % 3 === 0 ? 0 : 495;
  const discount = o % 7 === 0 ? -Math.round(subtotal / 10) : 0;
  return { items, subtotal, shipping, discount, grand: subtotal + shipping + discount, tax: Math.round(((subtotal + discount) * 19) / 119), qty: items.reduce((s, i) => s + i.qty, 0) };
}

function addressText(o: number, k: number): { street: string; city: string; postcode: string } {
  return { street: `${pick(STREETS, o, k + 70)} ${between(o, k + 71, 1, 200)}`, city: pick(CITIES, o, k + 72), postcode: String(between(o, k + 73, 10000, 99999)) };
}

const ITEM_COLUMNS = ['product_id int unsigned DEFAULT NULL', 'store_id smallint unsigned DEFAULT NULL', 'parent_item_id int unsigned DEFAULT NULL', 'is_virtual smallint unsigned DEFAULT NULL', 'sku varchar(255) DEFAULT NULL', 'name varchar(255) DEFAULT NULL', 'description text DEFAULT NULL', 'applied_rule_ids text DEFAULT NULL',
  'is_qty_decimal smallint unsigned DEFAULT NULL', 'no_discount smallint unsigned NOT NULL DEFAULT 0', 'weight decimal(12,4) DEFAULT 0.0000', 'product_type varchar(255) DEFAULT NULL', 'free_shipping smallint unsigned NOT NULL DEFAULT 0', 'weee_tax_applied text DEFAULT NULL',
  ...decimals('price', 'base_price', 'original_price', 'base_original_price', 'tax_percent', 'tax_amount', 'base_tax_amount', 'discount_percent', 'discount_amount', 'base_discount_amount', 'row_total', 'base_row_total', 'row_weight', 'price_incl_tax', 'base_price_incl_tax', 'row_total_incl_tax', 'base_row_total_incl_tax', 'base_cost')];

function itemValues(i: Item, store: number): Row {
  const price = money(i.cents);
  const row = money(i.cents * i.qty);
  const tax = money(Math.round((i.cents * i.qty * 19) / 119));
  return { product_id: i.product, store_id: store, is_virtual: 0, sku: productSku(i.product), name: productName(i.product), is_qty_decimal: 0, weight: '1.0000', product_type: 'simple', price, base_price: price, original_price: price, base_original_price: price,
    tax_percent: '19.0000', tax_amount: tax, base_tax_amount: tax, discount_percent: '0.0000', discount_amount: '0.0000', base_discount_amount: '0.0000', row_total: row, base_row_total: row, row_weight: String(i.qty),
    price_incl_tax: price, base_price_incl_tax: price, row_total_incl_tax: row, base_row_total_incl_tax: row, base_cost: money(Math.round(i.cents * 0.45)), weee_tax_applied: '[]' };
}

export function salesTables(): TableDef[] {
  return [
    wide({
      name: 'sales_order',
      columns: ['entity_id int unsigned NOT NULL AUTO_INCREMENT', 'state varchar(32) DEFAULT NULL', 'status varchar(32) DEFAULT NULL', 'coupon_code varchar(255) DEFAULT NULL', 'protect_code varchar(255) DEFAULT NULL', 'shipping_description varchar(255) DEFAULT NULL', 'is_virtual smallint unsigned DEFAULT NULL',
        'store_id smallint unsigned DEFAULT NULL', 'customer_id int unsigned DEFAULT NULL', ...decimals('base_discount_amount', 'base_grand_total', 'base_shipping_amount', 'base_shipping_tax_amount', 'base_subtotal', 'base_tax_amount', 'base_to_global_rate', 'base_to_order_rate', 'base_total_paid',
          'discount_amount', 'grand_total', 'shipping_amount', 'shipping_tax_amount', 'store_to_base_rate', 'store_to_order_rate', 'subtotal', 'tax_amount', 'total_paid', 'total_qty_ordered', 'base_subtotal_incl_tax', 'base_total_due', 'subtotal_incl_tax', 'total_due', 'weight', 'shipping_incl_tax', 'base_shipping_incl_tax'),
        'customer_is_guest smallint unsigned DEFAULT NULL', 'customer_note_notify smallint unsigned DEFAULT NULL', 'billing_address_id int DEFAULT NULL', 'customer_group_id int DEFAULT NULL', 'email_sent smallint unsigned DEFAULT NULL', 'send_email smallint unsigned DEFAULT NULL', 'quote_id int DEFAULT NULL',
        'shipping_address_id int DEFAULT NULL', 'customer_dob datetime DEFAULT NULL', 'increment_id varchar(32) DEFAULT NULL', 'base_currency_code varchar(3) DEFAULT NULL', 'customer_email varchar(128) DEFAULT NULL', 'customer_firstname varchar(128) DEFAULT NULL', 'customer_lastname varchar(128) DEFAULT NULL',
        'global_currency_code varchar(3) DEFAULT NULL', 'order_currency_code varchar(3) DEFAULT NULL', 'remote_ip varchar(45) DEFAULT NULL', 'shipping_method varchar(120) DEFAULT NULL', 'store_currency_code varchar(3) DEFAULT NULL', 'store_name varchar(255) DEFAULT NULL', 'x_forwarded_for varchar(255) DEFAULT NULL',
        'customer_note text DEFAULT NULL', 'created_at timestamp NOT NULL DEFAULT current_timestamp()', 'updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()', 'total_item_count smallint unsigned NOT NULL DEFAULT 0', 'customer_gender int DEFAULT NULL', 'gift_message_id int DEFAULT NULL'],
      primaryKey: 'entity_id',
      indexes: ['UNIQUE KEY SALES_ORDER_INCREMENT_ID_STORE_ID (increment_id,store_id)', 'KEY SALES_ORDER_STATUS (status)', 'KEY SALES_ORDER_STATE (state)', 'KEY SALES_ORDER_STORE_ID (store_id)', 'KEY SALES_ORDER_CREATED_AT (created_at)', 'KEY SALES_ORDER_CUSTOMER_ID (customer_id)', 'KEY SALES_ORDER_QUOTE_ID (quote_id)', 'KEY SALES_ORDER_UPDATED_AT (updated_at)'],
      foreignKeys: [fk('customer_id', 'customer_entity', 'entity_id', 'SET NULL'), fk('store_id', 'store', 'store_id', 'SET NULL')],
      count: (c) => c.orders,
      *records(c) {
        for (let o = 1; o <= c.orders; o++) {
          const t = orderTotals(o, c);
          const status = pick(STATUSES, o, 1);
          const customer = customerOf(o, c);
          const who = customer ?? 1_000_000 + o;
          const paid = status === 'pending' || status === 'canceled' ? '0.0000' : money(t.grand);
          yield {
            entity_id: o, state: status === 'pending' ? 'new' : status, status, coupon_code: o % 7 === 0 ? 'SOMMER10' : null, protect_code: hex(o, 3, 6), shipping_description: 'Flat Rate - Fixed', is_virtual: 0, store_id: 1 + (o % 2), customer_id: customer,
            base_discount_amount: money(t.discount), base_grand_total: money(t.grand), base_shipping_amount: money(t.shipping), base_shipping_tax_amount: '0.0000', base_subtotal: money(t.subtotal), base_tax_amount: money(t.tax), base_to_global_rate: '1.0000', base_to_order_rate: '1.0000', base_total_paid: paid,
            discount_amount: money(t.discount), grand_total: money(t.grand), shipping_amount: money(t.shipping), shipping_tax_amount: '0.0000', store_to_base_rate: '0.0000', store_to_order_rate: '0.0000', subtotal: money(t.subtotal), tax_amount: money(t.tax), total_paid: paid, total_qty_ordered: `${t.qty}.0000`,
            base_subtotal_incl_tax: money(t.subtotal), base_total_due: '0.0000', subtotal_incl_tax: money(t.subtotal), total_due: '0.0000', weight: `${t.qty}.0000`, shipping_incl_tax: money(t.shipping), base_shipping_incl_tax: money(t.shipping),
            customer_is_guest: customer === null ? 1 : 0, customer_note_notify: 1, billing_address_id: 2 * o - 1, customer_group_id: customer === null ? 0 : 1, email_sent: 1, send_email: 1, quote_id: between(o, 4, 1, c.quotes), shipping_address_id: 2 * o,
            increment_id: String(100_000_000 + o), base_currency_code: 'EUR', customer_email: email(2, who), customer_firstname: pick(FIRST, who, 2), customer_lastname: pick(LAST, who, 3), global_currency_code: 'EUR', order_currency_code: 'EUR', remote_ip: ip(o),
            shipping_method: pick(SHIPPING, o, 5), store_currency_code: 'EUR', store_name: 'Main Website\nMain Website Store\nDefault Store View', customer_note: o % 13 === 0 ? 'Bitte beim Nachbarn abgeben 📦 — danke!' : null,
            created_at: datetimeAt(o, c.orders, 6), updated_at: datetimeAt(o, c.orders, 7), total_item_count: t.items.length, customer_gender: between(o, 8, 0, 2),
          };
        }
      },
    }),
    wide({
      name: 'sales_order_item',
      columns: ['item_id int unsigned NOT NULL AUTO_INCREMENT', 'order_id int unsigned NOT NULL DEFAULT 0', 'quote_item_id int unsigned DEFAULT NULL', 'created_at timestamp NOT NULL DEFAULT current_timestamp()', 'updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()', 'product_options longtext DEFAULT NULL',
        ...ITEM_COLUMNS, ...decimals('qty_backordered', 'qty_canceled', 'qty_invoiced', 'qty_ordered', 'qty_refunded', 'qty_shipped', 'tax_invoiced', 'base_tax_invoiced', 'discount_invoiced', 'base_discount_invoiced', 'amount_refunded', 'base_amount_refunded', 'row_invoiced', 'base_row_invoiced'), 'gift_message_id int DEFAULT NULL'],
      primaryKey: 'item_id',
      indexes: ['KEY SALES_ORDER_ITEM_ORDER_ID (order_id)', 'KEY SALES_ORDER_ITEM_STORE_ID (store_id)'],
      foreignKeys: [fk('order_id', 'sales_order', 'entity_id'), fk('store_id', 'store', 'store_id', 'SET NULL')],
      count: (c) => Math.round(c.orders * 2.6),
      *records(c) {
        let id = 0;
        for (let o = 1; o <= c.orders; o++) {
          const created = datetimeAt(o, c.orders, 6);
          const invoiced = pick(STATUSES, o, 1) === 'complete';
          for (const i of itemsOf(o, c)) {
            yield {
              ...itemValues(i, 1 + (o % 2)), item_id: ++id, order_id: o, quote_item_id: null, created_at: created, updated_at: created,
              product_options: `{"info_buyRequest":{"uenc":"${hex(o, i.product, 48)}","product":"${i.product}","selected_configurable_option":"","related_product":"","item":"${i.product}","qty":"${i.qty}"}}`,
              qty_ordered: `${i.qty}.0000`, qty_invoiced: invoiced ? `${i.qty}.0000` : '0.0000', qty_shipped: invoiced ? `${i.qty}.0000` : '0.0000', qty_canceled: '0.0000', qty_refunded: '0.0000', qty_backordered: null,
              row_invoiced: invoiced ? money(i.cents * i.qty) : '0.0000', base_row_invoiced: invoiced ? money(i.cents * i.qty) : '0.0000', amount_refunded: '0.0000', base_amount_refunded: '0.0000',
            };
          }
        }
      },
    }),
    wide({
      name: 'sales_order_address',
      columns: ['entity_id int unsigned NOT NULL AUTO_INCREMENT', 'parent_id int unsigned DEFAULT NULL', 'customer_address_id int DEFAULT NULL', 'quote_address_id int DEFAULT NULL', 'region_id int DEFAULT NULL', 'customer_id int DEFAULT NULL', 'fax varchar(255) DEFAULT NULL', 'region varchar(255) DEFAULT NULL',
        'postcode varchar(255) DEFAULT NULL', 'lastname varchar(255) DEFAULT NULL', 'street varchar(255) DEFAULT NULL', 'city varchar(255) DEFAULT NULL', 'email varchar(255) DEFAULT NULL', 'telephone varchar(255) DEFAULT NULL', 'country_id varchar(2) DEFAULT NULL', 'firstname varchar(255) DEFAULT NULL',
        'address_type varchar(255) DEFAULT NULL', 'prefix varchar(255) DEFAULT NULL', 'middlename varchar(255) DEFAULT NULL', 'suffix varchar(255) DEFAULT NULL', 'company varchar(255) DEFAULT NULL', 'vat_id text DEFAULT NULL', 'vat_is_valid smallint DEFAULT NULL', 'vat_request_id text DEFAULT NULL'],
      primaryKey: 'entity_id',
      indexes: ['KEY SALES_ORDER_ADDRESS_PARENT_ID (parent_id)'],
      foreignKeys: [fk('parent_id', 'sales_order', 'entity_id')],
      count: (c) => c.orders * 2,
      *records(c) {
        for (let o = 1; o <= c.orders; o++) {
          const customer = customerOf(o, c);
          const who = customer ?? 1_000_000 + o;
          for (const [k, type] of [[0, 'billing'], [1, 'shipping']] as const) {
            const a = addressText(o, k);
            yield { entity_id: 2 * o - 1 + k, parent_id: o, customer_id: customer, region: 'Sachsen', region_id: 94, postcode: a.postcode, lastname: pick(LAST, who, 3), street: a.street, city: a.city, email: email(2, who),
              telephone: `0${between(o, 80 + k, 100, 999)} ${between(o, 82 + k, 10000, 999999)}`, country_id: o % 9 === 0 ? 'AT' : 'DE', firstname: pick(FIRST, who, 2), address_type: type, company: o % 11 === 0 ? `${pick(LAST, o, 84)} & Söhne KG` : null };
          }
        }
      },
    }),
    wide({
      name: 'sales_order_payment',
      columns: ['entity_id int unsigned NOT NULL AUTO_INCREMENT', 'parent_id int unsigned NOT NULL', ...decimals('base_shipping_captured', 'shipping_captured', 'amount_refunded', 'base_amount_paid', 'amount_canceled', 'base_amount_authorized', 'base_amount_paid_online', 'base_shipping_amount', 'shipping_amount', 'amount_paid', 'amount_authorized', 'base_amount_ordered', 'amount_ordered'),
        'quote_payment_id int DEFAULT NULL', 'additional_data text DEFAULT NULL', 'cc_exp_month varchar(12) DEFAULT NULL', 'method varchar(128) DEFAULT NULL', 'last_trans_id varchar(255) DEFAULT NULL', 'cc_owner varchar(128) DEFAULT NULL', 'cc_type varchar(32) DEFAULT NULL', 'cc_last_4 varchar(100) DEFAULT NULL',
        'cc_exp_year varchar(4) DEFAULT NULL', 'cc_trans_id varchar(32) DEFAULT NULL', 'additional_information text DEFAULT NULL'],
      primaryKey: 'entity_id',
      indexes: ['KEY SALES_ORDER_PAYMENT_PARENT_ID (parent_id)'],
      foreignKeys: [fk('parent_id', 'sales_order', 'entity_id')],
      count: (c) => c.orders,
      *records(c) {
        for (let o = 1; o <= c.orders; o++) {
          const t = orderTotals(o, c);
          const method = pick(PAYMENTS, o, 9);
          const card = method === 'stripe_payments';
          yield { entity_id: o, parent_id: o, base_shipping_amount: money(t.shipping), shipping_amount: money(t.shipping), base_amount_ordered: money(t.grand), amount_ordered: money(t.grand), base_amount_paid: money(t.grand), amount_paid: money(t.grand),
            method, last_trans_id: method === 'checkmo' ? null : `${hex(o, 10, 24)}-capture`, cc_type: card ? pick(['VI', 'MC', 'AE'], o, 11) : null, cc_last_4: card ? String(between(o, 12, 1000, 9999)) : null, cc_exp_month: card ? String(between(o, 13, 1, 12)) : null, cc_exp_year: card ? String(between(o, 14, 2026, 2031)) : null,
            additional_information: `{"method_title":"${method}","instructions":"${sentences(o, 15, 1)}","payment_intent":"pi_${hex(o, 16, 24)}"}` };
        }
      },
    }),
    wide({
      name: 'sales_order_grid',
      columns: ['entity_id int unsigned NOT NULL', 'status varchar(32) DEFAULT NULL', 'store_id smallint unsigned DEFAULT NULL', 'store_name varchar(255) DEFAULT NULL', 'customer_id int unsigned DEFAULT NULL', ...decimals('base_grand_total', 'base_total_paid', 'grand_total', 'total_paid', 'subtotal', 'shipping_and_handling', 'total_refunded'),
        'increment_id varchar(50) DEFAULT NULL', 'base_currency_code varchar(3) DEFAULT NULL', 'order_currency_code varchar(255) DEFAULT NULL', 'shipping_name varchar(255) DEFAULT NULL', 'billing_name varchar(255) DEFAULT NULL', 'created_at timestamp NULL DEFAULT NULL', 'updated_at timestamp NULL DEFAULT NULL',
        'billing_address varchar(255) DEFAULT NULL', 'shipping_address varchar(255) DEFAULT NULL', 'shipping_information varchar(255) DEFAULT NULL', 'customer_email varchar(255) DEFAULT NULL', 'customer_group varchar(255) DEFAULT NULL', 'customer_name varchar(255) DEFAULT NULL', 'payment_method varchar(255) DEFAULT NULL'],
      primaryKey: 'entity_id',
      indexes: ['UNIQUE KEY SALES_ORDER_GRID_INCREMENT_ID_STORE_ID (increment_id,store_id)', 'KEY SALES_ORDER_GRID_STATUS (status)', 'KEY SALES_ORDER_GRID_CREATED_AT (created_at)', 'KEY SALES_ORDER_GRID_CUSTOMER_ID (customer_id)',
        'FULLTEXT KEY FTI_65B9E9925EC58F0C7C2E2F6379C233E7 (increment_id,billing_name,shipping_name,shipping_address,billing_address,customer_name,customer_email)'],
      foreignKeys: [fk('entity_id', 'sales_order', 'entity_id')],
      count: (c) => c.orders,
      *records(c) {
        for (let o = 1; o <= c.orders; o++) {
          const t = orderTotals(o, c);
          const customer = customerOf(o, c);
          const who = customer ?? 1_000_000 + o;
          const name = `${pick(FIRST, who, 2)} ${pick(LAST, who, 3)}`;
          const [bill, ship] = [addressText(o, 0), addressText(o, 1)];
          yield { entity_id: o, status: pick(STATUSES, o, 1), store_id: 1 + (o % 2), store_name: 'Main Website\nMain Website Store\nDefault Store View', customer_id: customer, base_grand_total: money(t.grand), grand_total: money(t.grand), subtotal: money(t.subtotal), shipping_and_handling: money(t.shipping),
            increment_id: String(100_000_000 + o), base_currency_code: 'EUR', order_currency_code: 'EUR', shipping_name: name, billing_name: name, created_at: datetimeAt(o, c.orders, 6), updated_at: datetimeAt(o, c.orders, 7),
            billing_address: `${bill.street},${bill.city},Sachsen,${bill.postcode}`, shipping_address: `${ship.street},${ship.city},Sachsen,${ship.postcode}`, shipping_information: 'Flat Rate - Fixed', customer_email: email(2, who), customer_group: customer === null ? '0' : '1', customer_name: name, payment_method: pick(PAYMENTS, o, 9) };
        }
      },
    }),
    wide({
      name: 'sales_order_status_history',
      columns: ['entity_id int unsigned NOT NULL AUTO_INCREMENT', 'parent_id int unsigned NOT NULL', 'is_customer_notified int DEFAULT NULL', 'is_visible_on_front smallint unsigned NOT NULL DEFAULT 0', 'comment text DEFAULT NULL', 'status varchar(32) DEFAULT NULL', 'created_at timestamp NOT NULL DEFAULT current_timestamp()', 'entity_name varchar(32) DEFAULT NULL'],
      primaryKey: 'entity_id',
      indexes: ['KEY SALES_ORDER_STATUS_HISTORY_PARENT_ID (parent_id)', 'KEY SALES_ORDER_STATUS_HISTORY_CREATED_AT (created_at)'],
      foreignKeys: [fk('parent_id', 'sales_order', 'entity_id')],
      count: (c) => Math.round(c.orders * 1.33),
      *records(c) {
        let id = 0;
        for (let o = 1; o <= c.orders; o++) {
          for (let k = 0; k < (o % 3 === 0 ? 2 : 1); k++) {
            yield { entity_id: ++id, parent_id: o, is_customer_notified: k, comment: k === 0 ? `Captured amount of €${money(orderTotals(o, c).grand)} online. Transaction ID: "${hex(o, 10, 24)}-capture"` : sentences(o, 20, 2), status: pick(STATUSES, o, 1), created_at: datetimeAt(o, c.orders, 6 + k), entity_name: k === 0 ? 'invoice' : 'order' };
          }
        }
      },
    }),
    wide({
      name: 'quote',
      columns: ['entity_id int unsigned NOT NULL AUTO_INCREMENT', 'store_id smallint unsigned NOT NULL DEFAULT 0', 'created_at timestamp NOT NULL DEFAULT current_timestamp()', 'updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()', 'converted_at timestamp NULL DEFAULT NULL', 'is_active smallint unsigned DEFAULT 1',
        'is_virtual smallint unsigned DEFAULT 0', 'is_multi_shipping smallint unsigned DEFAULT 0', 'items_count int unsigned DEFAULT 0', 'items_qty decimal(12,4) DEFAULT 0.0000', 'orig_order_id int unsigned DEFAULT 0', ...decimals('store_to_base_rate', 'store_to_quote_rate', 'grand_total', 'base_grand_total', 'subtotal', 'base_subtotal', 'subtotal_with_discount', 'base_subtotal_with_discount', 'base_to_global_rate', 'base_to_quote_rate'),
        'base_currency_code varchar(255) DEFAULT NULL', 'store_currency_code varchar(255) DEFAULT NULL', 'quote_currency_code varchar(255) DEFAULT NULL', 'global_currency_code varchar(255) DEFAULT NULL', 'checkout_method varchar(255) DEFAULT NULL', 'customer_id int unsigned DEFAULT NULL', 'customer_tax_class_id int unsigned DEFAULT NULL',
        'customer_group_id int unsigned DEFAULT 0', 'customer_email varchar(255) DEFAULT NULL', 'customer_firstname varchar(255) DEFAULT NULL', 'customer_lastname varchar(255) DEFAULT NULL', 'customer_dob datetime DEFAULT NULL', 'customer_note text DEFAULT NULL', 'customer_is_guest smallint unsigned DEFAULT 0',
        'remote_ip varchar(45) DEFAULT NULL', 'applied_rule_ids varchar(255) DEFAULT NULL', 'reserved_order_id varchar(64) DEFAULT NULL', 'coupon_code varchar(255) DEFAULT NULL', 'customer_gender varchar(255) DEFAULT NULL', 'is_changed int unsigned DEFAULT NULL', 'trigger_recollect smallint NOT NULL DEFAULT 0', 'ext_shipping_info text DEFAULT NULL', 'is_persistent smallint unsigned DEFAULT 0'],
      primaryKey: 'entity_id',
      indexes: ['KEY QUOTE_CUSTOMER_ID_STORE_ID_IS_ACTIVE (customer_id,store_id,is_active)', 'KEY QUOTE_STORE_ID_UPDATED_AT (store_id,updated_at)'],
      foreignKeys: [fk('store_id', 'store', 'store_id')],
      count: (c) => c.quotes,
      *records(c) {
        for (let q = 1; q <= c.quotes; q++) {
          const t = orderTotals(q + 7_000_000, c);
          const customer = q % 3 === 0 ? null : between(q, 2, 1, c.customers);
          const who = customer ?? 2_000_000 + q;
          yield { entity_id: q, store_id: 1 + (q % 2), created_at: datetimeAt(q, c.quotes, 1), updated_at: datetimeAt(q, c.quotes, 2), converted_at: null, is_active: q % 4 === 0 ? 0 : 1, items_count: t.items.length, items_qty: `${t.qty}.0000`, orig_order_id: 0,
            store_to_base_rate: '0.0000', store_to_quote_rate: '0.0000', grand_total: money(t.grand), base_grand_total: money(t.grand), subtotal: money(t.subtotal), base_subtotal: money(t.subtotal), subtotal_with_discount: money(t.subtotal + t.discount), base_subtotal_with_discount: money(t.subtotal + t.discount),
            base_to_global_rate: '1.0000', base_to_quote_rate: '1.0000', base_currency_code: 'EUR', store_currency_code: 'EUR', quote_currency_code: 'EUR', global_currency_code: 'EUR', checkout_method: customer === null ? 'guest' : 'customer', customer_id: customer, customer_tax_class_id: 3,
            customer_group_id: customer === null ? 0 : 1, customer_email: q % 5 === 0 ? null : email(2, who), customer_firstname: pick(FIRST, who, 2), customer_lastname: pick(LAST, who, 3), customer_is_guest: customer === null ? 1 : 0, remote_ip: ip(q + 3), is_changed: 1, trigger_recollect: 0, is_persistent: 0 };
        }
      },
    }),
    wide({
      name: 'quote_item',
      columns: ['item_id int unsigned NOT NULL AUTO_INCREMENT', 'quote_id int unsigned NOT NULL DEFAULT 0', 'created_at timestamp NOT NULL DEFAULT current_timestamp()', 'updated_at timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()', 'additional_data text DEFAULT NULL', 'qty decimal(12,4) NOT NULL DEFAULT 0.0000',
        'custom_price decimal(12,4) DEFAULT NULL', 'row_total_with_discount decimal(20,4) DEFAULT 0.0000', 'redirect_url varchar(255) DEFAULT NULL', ...ITEM_COLUMNS],
      primaryKey: 'item_id',
      indexes: ['KEY QUOTE_ITEM_PRODUCT_ID (product_id)', 'KEY QUOTE_ITEM_QUOTE_ID (quote_id)', 'KEY QUOTE_ITEM_STORE_ID (store_id)'],
      foreignKeys: [fk('quote_id', 'quote', 'entity_id'), fk('product_id', 'catalog_product_entity', 'entity_id'), fk('store_id', 'store', 'store_id', 'SET NULL')],
      count: (c) => Math.round(c.quotes * 2.6),
      *records(c) {
        let id = 0;
        for (let q = 1; q <= c.quotes; q++) {
          const created = datetimeAt(q, c.quotes, 1);
          for (const i of itemsOf(q + 7_000_000, c)) yield { ...itemValues(i, 1 + (q % 2)), item_id: ++id, quote_id: q, created_at: created, updated_at: created, qty: `${i.qty}.0000`, row_total_with_discount: money(i.cents * i.qty) };
        }
      },
    }),
  ];
}
