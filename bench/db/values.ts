/**
 * Building blocks of the generated shop database: a stateless integer hash (so that a value derived from
 * an id — a product's name, price, URL key — is the same in every table that mentions it), shop vocabulary,
 * text and date helpers, and the TSV encoding that `LOAD DATA … ESCAPED BY '\\'` reads back byte-exactly.
 */

/** A row as generated: numbers and strings as text, null as SQL NULL, Buffers as binary bytes. */
export type Value = string | number | null | Buffer;

/** A well-mixed unsigned 32-bit hash of (x, salt). */
export function h(x: number, salt = 0): number {
  let z = (Math.imul(x ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 0x632be5ab, 0xc2b2ae35)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export function pick<T>(items: readonly T[], x: number, salt: number): T {
  return items[h(x, salt) % items.length];
}

/** An integer in [min, max] derived from (x, salt). */
export function between(x: number, salt: number, min: number, max: number): number {
  return min + (h(x, salt) % (max - min + 1));
}

export const FIRST = ['Anna', 'Ben', 'Clara', 'David', 'Elif', 'Felix', 'Greta', 'Hannah', 'Ivan', 'Julia', 'Karim', 'Lena', 'Marco', 'Nora', 'Oskar', 'Paula', 'Quentin', 'Rosa', 'Sven', 'Tina', 'Jürgen', 'Zoë', 'Søren', 'Chloé', 'Łukasz', 'Ayşe', 'José', 'Björn'];
export const LAST = ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Hartmann', "O'Brien", 'van der Berg', 'Dvořák', 'García'];
export const CITIES = ['Berlin', 'Hamburg', 'München', 'Köln', 'Frankfurt am Main', 'Stuttgart', 'Düsseldorf', 'Leipzig', 'Dortmund', 'Essen', 'Bremen', 'Dresden', 'Hannover', 'Nürnberg', 'Wien', 'Zürich', 'Graz', 'Basel'];
export const STREETS = ['Hauptstraße', 'Schulstraße', 'Gartenweg', 'Bahnhofstraße', 'Lindenallee', 'Am Markt', 'Bergstraße', 'Kirchplatz', 'Rosenweg', 'Mühlenweg', 'Waldstraße', 'Goethestraße'];
export const DOMAINS = ['example.com', 'mail.example.org', 'shop-kunde.de', 'web.example.net', 'post.example.de'];
export const ADJECTIVES = ['organic', 'classic', 'slim', 'vintage', 'premium', 'soft', 'light', 'urban', 'outdoor', 'handmade', 'recycled', 'waterproof', 'compact', 'deluxe', 'everyday', 'modern'];
export const NOUNS = ['cotton shirt', 'summer dress', 'leather bag', 'running shoe', 'wool scarf', 'denim jacket', 'silver ring', 'ceramic mug', 'bamboo towel', 'linen pillow', 'garden chair', 'oak table', 'travel mug', 'yoga mat', 'rain coat', 'desk lamp', 'backpack', 'sneaker', 'beanie', 'water bottle'];
export const COLORS = ['black', 'white', 'blue', 'red', 'green', 'grey', 'navy', 'beige', 'olive', 'rose'];
export const STATUSES = ['pending', 'processing', 'complete', 'complete', 'complete', 'complete', 'canceled', 'closed', 'holded'];
export const SHIPPING = ['flatrate_flatrate', 'tablerate_bestway', 'dhl_express', 'ups_standard', 'freeshipping_freeshipping'];
export const PAYMENTS = ['checkmo', 'banktransfer', 'paypal_express', 'stripe_payments', 'klarna_kp', 'free'];
export const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
];
const SENTENCES = [
  'Made from carefully selected materials that feel good from the first day.',
  'Our designers worked with small workshops to get every seam right.',
  'Machine washable at 30 °C, dries quickly and keeps its shape.',
  'Pairs well with the rest of the collection — mix and match as you like.',
  'Die Passform ist bequem und eignet sich für jeden Tag.',
  'Available while stocks last; colours may vary slightly from the photos.',
  'Certified according to OEKO-TEX® Standard 100, free of harmful substances.',
  'Free returns within 30 days, no questions asked.',
  'Größe fällt normal aus, bei Zwischengrößen bitte eine Nummer größer wählen.',
  'Ships in recyclable packaging from our warehouse in Leipzig.',
  'A customer favourite since 2019 with more than 4.8 ★ on average.',
  'The "Care & Repair" programme extends the life of every piece you buy.',
  'Water-repellent finish without PFC; breathable and windproof.',
  'Limited edition: each batch is numbered by hand.',
  'Tip: combine with our matching accessories for 10% off the set.',
  'Le tissu est doux au toucher et résistant à l\'usure.',
];

/** `count` sentences chosen by (x, salt): compressible, but not one repeated block. */
export function sentences(x: number, salt: number, count: number): string {
  let text = '';
  for (let k = 0; k < count; k++) text += (k === 0 ? '' : ' ') + SENTENCES[h(x, salt + k * 7919) % SENTENCES.length];
  return text;
}

/** An HTML body of about `bytes` bytes (CMS pages and blocks, product descriptions). */
export function html(x: number, salt: number, bytes: number): string {
  let out = `<div data-content-type="row" data-appearance="contained" data-element="main"><h2>${pick(ADJECTIVES, x, salt)} ${pick(NOUNS, x, salt + 1)}</h2>`;
  for (let k = 0; out.length < bytes; k++) {
    out += `<p class="p-${h(x, salt + k) % 97}">${sentences(x, salt + k * 31, 3)}</p>\n`;
    if (k % 5 === 4) out += `<figure><img src="{{media url=wysiwyg/${x}/${k}.jpg}}" alt="${pick(NOUNS, x, k)}"/></figure>\n`;
  }
  return `${out}</div>`;
}

export function productName(p: number): string {
  return `${pick(ADJECTIVES, p, 1)} ${pick(COLORS, p, 2)} ${pick(NOUNS, p, 3)} ${p}`;
}

export function productSku(p: number): string {
  return `${pick(NOUNS, p, 3).slice(0, 3).toUpperCase()}-${String(p).padStart(7, '0')}`;
}

export function urlKey(p: number): string {
  return productName(p).toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

/** The product's base price in cents. */
export function priceCents(p: number): number {
  return 499 + (h(p, 4) % 30000);
}

export function money(cents: number): string {
  return (cents / 100).toFixed(4);
}

export function email(kind: number, id: number): string {
  return `${pick(FIRST, id, kind).toLowerCase()}.${pick(LAST, id, kind + 1).toLowerCase().replace(/[^a-z]/g, '')}${id}@${pick(DOMAINS, id, kind + 2)}`;
}

export function ip(x: number): string {
  const v = h(x, 99);
  return `${10 + (v % 200)}.${(v >>> 8) & 255}.${(v >>> 16) & 255}.${1 + ((v >>> 24) % 254)}`;
}

export function hex(x: number, salt: number, chars: number): string {
  let s = '';
  for (let k = 0; s.length < chars; k++) s += h(x, salt + k).toString(16).padStart(8, '0');
  return s.slice(0, chars);
}

const EPOCH_2021 = Date.UTC(2021, 0, 1) / 1000;
const FIVE_YEARS = 5 * 365 * 86400;

/** A DATETIME/TIMESTAMP literal between 2021 and 2026 derived from (x, salt), optionally `plus` seconds later. */
export function datetime(x: number, salt: number, plus = 0): string {
  return new Date((EPOCH_2021 + (h(x, salt) % FIVE_YEARS) + plus) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** A DATETIME that grows with x (ids created in order): `x` of `total` spread over five years. */
export function datetimeAt(x: number, total: number, salt: number): string {
  const t = EPOCH_2021 + Math.floor((x / Math.max(total, 1)) * FIVE_YEARS) + (h(x, salt) % 3600);
  return new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

const TEXT_SPECIAL = /[\\\t\n\r\0]/;
const TEXT_SPECIAL_ALL = /[\\\t\n\r\0]/g;
const TEXT_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** A text field for LOAD DATA's default format (fields by tab, lines by newline, escapes by backslash). */
export function tsvText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_ALL, (c) => TEXT_ESCAPES[c]) : s;
}

const BACKSLASH = 0x5c;
const BYTE_ESCAPES = new Map<number, number>([
  [0x5c, 0x5c],
  [0x09, 0x74],
  [0x0a, 0x6e],
  [0x0d, 0x72],
  [0x00, 0x30],
]);

/** A binary field for LOAD DATA: the same escapes as tsvText, on bytes. */
export function tsvBytes(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length * 2);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    const e = BYTE_ESCAPES.get(c);
    if (e === undefined) out[n++] = c;
    else {
      out[n++] = BACKSLASH;
      out[n++] = e;
    }
  }
  return out.subarray(0, n);
}

/** One row as a TSV line: a string when it is all text, else bytes. */
export function tsvRow(row: readonly Value[]): string | Buffer {
  let line = '';
  let parts: Buffer[] | undefined;
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (i > 0) line += '\t';
    if (v === null) line += '\\N';
    else if (typeof v === 'number') line += String(v);
    else if (typeof v === 'string') line += tsvText(v);
    else {
      parts ??= [];
      parts.push(Buffer.from(line, 'utf8'), tsvBytes(v));
      line = '';
    }
  }
  line += '\n';
  if (!parts) return line;
  parts.push(Buffer.from(line, 'utf8'));
  return Buffer.concat(parts);
}
