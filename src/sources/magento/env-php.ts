/**
 * Magento's app/etc/env.php read without running PHP: the file is parsed with a real PHP parser and
 * the array it returns is evaluated as a constant expression — literals (strings with PHP's escape
 * rules, heredoc/nowdoc, ints in every base, floats, true/false/null), arrays (`[...]` and
 * `array(...)`, PHP key rules), unary minus/plus, casts and `.` concatenation of those.
 *
 * What cannot be evaluated statically is kept as a `PhpUnresolved` placeholder holding the
 * expression's source text and line, so a caller can say exactly which setting it cannot use:
 *   - constants other than a few PHP built-ins (PHP_EOL, DIRECTORY_SEPARATOR, PHP_INT_MAX, …) and
 *     class constants (`\Foo\Bar::BAZ`) — their values live in code envsnap does not load
 *     (`Foo::class` is evaluated: it is the class name, resolved against `namespace` and `use` as
 *     PHP does);
 *   - variables, function calls (`getenv('X')`), interpolated strings, and any expression using one.
 * A placeholder used as an array key becomes its source text.
 *
 * PHP arrays map to JS arrays when their keys are exactly 0..n-1 in order (PHP's array_is_list),
 * otherwise to objects. JS orders integer-like keys first, so a mixed array's key order may differ
 * from PHP's; env.php settings do not depend on it.
 */
import { Engine } from 'php-parser';
import { EnvsnapError } from '../../core/errors.ts';

/** A value of env.php that envsnap cannot compute without running PHP. */
export class PhpUnresolved {
  /** The PHP source of the expression, e.g. `\Vendor\Config::DB_HOST` or `getenv('DB_HOST')`. */
  readonly expression: string;
  readonly line: number;
  constructor(expression: string, line: number) {
    this.expression = expression;
    this.line = line;
  }
  toJSON(): string {
    return `<unresolved PHP: ${this.expression}>`;
  }
}

/** Values of the PHP built-in constants an env.php plausibly uses (Linux; PHP_INT_MAX/MIN clamped to JS's safe integers). */
const BUILTIN_CONSTANTS: Record<string, string | number> = {
  PHP_EOL: '\n',
  DIRECTORY_SEPARATOR: '/',
  PATH_SEPARATOR: ':',
  PHP_INT_MAX: Number.MAX_SAFE_INTEGER,
  PHP_INT_MIN: Number.MIN_SAFE_INTEGER,
  PHP_INT_SIZE: 8,
};

/** The slice of php-parser's AST this module reads; node kinds are checked before fields are used. */
interface PhpNode {
  kind: string;
  loc?: { start: { line: number; offset: number }; end: { offset: number } } | null;
  [field: string]: any;
}

type PhpValue = string | number | boolean | null | PhpValue[] | { [key: string]: PhpValue } | PhpUnresolved;

const engine = new Engine({ parser: { php8: true, extractDoc: false, suppressErrors: false }, ast: { withPositions: true } });

/**
 * The value the env.php `text` returns, as plain JS data (see the module comment for what is kept
 * as PhpUnresolved). Throws CONFIG naming `file` and the line when the file is not valid PHP or
 * does not return an array.
 */
export function parseEnvPhp(text: string, file: string): unknown {
  let program: PhpNode;
  try {
    program = engine.parseCode(text, file) as unknown as PhpNode;
  } catch (err) {
    const line = (err as { lineNumber?: number }).lineNumber;
    const what = (err as Error).message.replace(/^Parse Error : /, '').replace(/ on line \d+$/, '');
    throw new EnvsnapError('CONFIG', `${file}${line ? ` line ${line}` : ''}: not valid PHP (${what}): fix the file or point --root at another Magento installation`);
  }
  const found = findReturn(program.children as PhpNode[]);
  const ret = found?.ret;
  if (!found || !ret?.expr) {
    throw new EnvsnapError('CONFIG', `${file}: no \`return [...]\` statement: env.php must return the configuration array`);
  }
  const value = new Evaluator(text, found.scope).value(ret.expr);
  if (value === null || typeof value !== 'object' || value instanceof PhpUnresolved) {
    const what = value instanceof PhpUnresolved ? value.expression : value === null ? 'null' : `a ${typeof value}`;
    throw new EnvsnapError('CONFIG', `${file} line ${lineOf(ret.expr)}: env.php returns ${what}, not an array: it must return the configuration array`);
  }
  return value;
}

/** Where a statement sits: its namespace and the class imports (`use`) in scope, for resolving `X::class`. */
interface Scope {
  namespace: string;
  /** Lower-cased alias → fully qualified class name. */
  uses: Map<string, string>;
}

/** The first top-level `return` (also inside a `namespace X;` block, which wraps what follows it), with its scope. */
function findReturn(statements: PhpNode[], scope: Scope = { namespace: '', uses: new Map() }): { ret: PhpNode; scope: Scope } | undefined {
  for (const s of statements) {
    if (s.kind === 'return') return { ret: s, scope };
    if (s.kind === 'usegroup' && s.type == null) {
      for (const item of s.items as PhpNode[]) {
        const full = [s.name, item.name].filter(Boolean).join('\\').replace(/^\\/, '');
        scope.uses.set(String(item.alias?.name ?? full.split('\\').pop()).toLowerCase(), full);
      }
    }
    if (s.kind === 'namespace') {
      const inner = findReturn(s.children as PhpNode[], { namespace: String(s.name ?? ''), uses: new Map() });
      if (inner) return inner;
    }
  }
  return undefined;
}

/** PHP's compile-time class name resolution of a name node (what `Name::class` evaluates to). */
function resolveClassName(n: PhpNode, scope: Scope): string {
  const name = String(n.name);
  if (n.resolution === 'fqn') return name.replace(/^\\/, '');
  if (n.resolution === 'rn') return [scope.namespace, name.replace(/^namespace\\/i, '')].filter(Boolean).join('\\');
  const [head, ...rest] = name.split('\\');
  const imported = scope.uses.get(head.toLowerCase());
  if (imported) return [imported, ...rest].join('\\');
  return [scope.namespace, name].filter(Boolean).join('\\');
}

const lineOf = (n: PhpNode) => n.loc?.start.line ?? 0;

class Evaluator {
  readonly #source: string;
  readonly #scope: Scope;
  constructor(source: string, scope: Scope) {
    this.#source = source;
    this.#scope = scope;
  }

  #unresolved(n: PhpNode): PhpUnresolved {
    const text = n.loc ? this.#source.slice(n.loc.start.offset, n.loc.end.offset).trim() : n.kind;
    return new PhpUnresolved(text, lineOf(n));
  }

  value(n: PhpNode): PhpValue {
    switch (n.kind) {
      case 'string':
      case 'nowdoc':
        // php-parser has already applied the quote style's escape rules to `value`.
        return n.value as string;
      case 'encapsed': {
        // A heredoc or double-quoted string: constant only when no part interpolates.
        const parts = n.value as PhpNode[];
        if (parts.every((p) => p.kind === 'encapsedpart' && p.expression?.kind === 'string')) return parts.map((p) => p.expression.value as string).join('');
        return this.#unresolved(n);
      }
      case 'number':
        return parseNumber(n.value as string);
      case 'boolean':
        return n.value as boolean;
      case 'nullkeyword':
        return null;
      case 'array':
        return this.#array(n);
      case 'unary': {
        const v = this.value(n.what as PhpNode);
        if (typeof v === 'number' && (n.type === '-' || n.type === '+')) return n.type === '-' ? -v : v;
        if (n.type === '!' && !(v instanceof PhpUnresolved) && (v === null || typeof v !== 'object')) return !v;
        return this.#unresolved(n);
      }
      case 'bin': {
        if (n.type !== '.') return this.#unresolved(n);
        const l = this.value(n.left as PhpNode);
        const r = this.value(n.right as PhpNode);
        const ls = toPhpString(l);
        const rs = toPhpString(r);
        return ls !== undefined && rs !== undefined ? ls + rs : this.#unresolved(n);
      }
      case 'cast':
        return this.#cast(n);
      case 'name': {
        const name = (n.name as string).replace(/^\\/, '');
        return Object.hasOwn(BUILTIN_CONSTANTS, name) ? BUILTIN_CONSTANTS[name] : this.#unresolved(n);
      }
      case 'staticlookup':
        // `Foo\Bar::class` is the class name; any other class constant needs the class's code.
        if (n.offset?.kind === 'identifier' && String(n.offset.name).toLowerCase() === 'class' && n.what?.kind === 'name') return resolveClassName(n.what as PhpNode, this.#scope);
        return this.#unresolved(n);
      default:
        return this.#unresolved(n);
    }
  }

  #cast(n: PhpNode): PhpValue {
    const v = this.value(n.expr as PhpNode);
    if (v instanceof PhpUnresolved || (v !== null && typeof v === 'object')) return this.#unresolved(n);
    switch (n.type) {
      case 'string':
        return toPhpString(v) ?? this.#unresolved(n);
      case 'int':
        return typeof v === 'string' ? Math.trunc(Number.parseFloat(v) || 0) : Math.trunc(Number(v));
      case 'float':
        return typeof v === 'string' ? Number.parseFloat(v) || 0 : Number(v);
      case 'bool':
        return typeof v === 'string' ? v !== '' && v !== '0' : Boolean(v);
      default:
        return this.#unresolved(n);
    }
  }

  /** PHP array semantics: explicit keys normalised, implicit keys continue after the largest int key, later duplicates win. */
  #array(n: PhpNode): PhpValue {
    const entries = new Map<string | number, PhpValue>();
    let nextIndex = 0;
    for (const item of n.items as (PhpNode | null)[]) {
      if (!item || item.kind === 'noop') continue;
      const isEntry = item.kind === 'entry';
      if (isEntry && (item.unpack || item.byRef)) {
        entries.set(nextIndex++, this.#unresolved(item));
        continue;
      }
      const value = this.value(isEntry ? (item.value as PhpNode) : item);
      const keyNode = isEntry ? (item.key as PhpNode | null) : null;
      let key: string | number;
      if (keyNode == null) {
        key = nextIndex;
      } else {
        const raw = this.value(keyNode);
        key = phpArrayKey(raw instanceof PhpUnresolved ? raw.expression : raw);
      }
      if (typeof key === 'number' && key >= nextIndex) nextIndex = key + 1;
      entries.set(key, value);
    }
    const keys = [...entries.keys()];
    if (keys.every((k, i) => k === i)) return [...entries.values()];
    return Object.fromEntries([...entries].map(([k, v]) => [String(k), v]));
  }
}

/** PHP's key cast: decimal-int strings and numbers become ints, bools 0/1, null ''. */
function phpArrayKey(v: PhpValue): string | number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null) return '';
  if (typeof v === 'string') return /^(0|-?[1-9][0-9]*)$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : v;
  return JSON.stringify(v);
}

/** PHP's string conversion of a scalar; undefined for what has none here (arrays, unresolved). */
function toPhpString(v: PhpValue): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '';
  if (v === null) return '';
  return undefined;
}

/** An integer or float literal: 0x1F, 0b101, 0755 / 0o755, 1_000, 1.5e3. */
function parseNumber(raw: string): number {
  const s = raw.replace(/_/g, '');
  if (/^0[xX]/.test(s)) return Number.parseInt(s.slice(2), 16);
  if (/^0[bB]/.test(s)) return Number.parseInt(s.slice(2), 2);
  if (/^0[oO]/.test(s)) return Number.parseInt(s.slice(2), 8);
  if (/^0[0-7]+$/.test(s)) return Number.parseInt(s.slice(1), 8);
  return Number(s);
}
