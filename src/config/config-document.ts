/**
 * envsnap.yaml as an editable document, for commands that write it (env:discover). Edits go
 * through the YAML document model, so comments, key order, formatting and the environments not
 * being edited stay as the user wrote them; only values that change are rewritten.
 */
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { Document, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { isDeepStrictEqual } from 'node:util';
import { errnoCode, EnvsnapError } from '../core/errors.ts';
import { yamlSyntaxError } from './config-error.ts';
import { parseProjectConfig, type ProjectConfig } from './project-config.ts';
import type { EnvironmentInput } from './schema.ts';

/** Settings of one environment to write: a key set to null is removed, a key left out is kept. */
export type EnvironmentUpdate = { [K in keyof EnvironmentInput]?: EnvironmentInput[K] | null };

/** Collections whose items are all scalars and that fit in this many characters are written inline (`[a, b]`). */
const FLOW_MAX = 110;

export class ConfigDocument {
  readonly file: string;
  readonly #doc: Document;
  /** True when the file did not exist yet. */
  readonly created: boolean;

  private constructor(file: string, doc: Document, created: boolean) {
    this.file = file;
    this.#doc = doc;
    this.created = created;
  }

  /** The document at `file` (absolute), or undefined when there is no such file. Throws CONFIG on a YAML syntax error. */
  static async read(file: string): Promise<ConfigDocument | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw new EnvsnapError('CONFIG', `cannot read configuration file ${file} (${errnoCode(err) ?? (err as Error).message}): fix the path or its permissions`);
    }
    const doc = parseDocument(text, { lineCounter: new LineCounter(), prettyErrors: true });
    if (doc.errors.length > 0) throw yamlSyntaxError(file, doc.errors[0]);
    if (doc.contents !== null && !isMap(doc.contents)) throw new EnvsnapError('CONFIG', `${file}: the file is not a mapping of settings: fix it or write the configuration to another file with --config`);
    return new ConfigDocument(file, doc, false);
  }

  /** A new configuration for `project` with its repository at `repository`. */
  static create(file: string, project: string, repository: string): ConfigDocument {
    const doc = new Document({ project, repository, environments: {} });
    doc.commentBefore = ' envsnap project configuration: the environments of this project and where their snapshots go.\n Passwords are not stored here: each one names an environment variable (password_env) or a file (password_file).';
    return new ConfigDocument(file, doc, true);
  }

  /** Sets a top-level key (project, repository) unless the file already has it. */
  setDefault(key: 'project' | 'repository', value: string): void {
    if (this.#doc.contents === null) this.#doc.contents = this.#doc.createNode({}) as Document['contents'];
    if (this.#doc.get(key) == null) this.#doc.set(key, value);
  }

  environmentNames(): string[] {
    const envs = this.#environments(false);
    return envs ? envs.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key)) : [];
  }

  /** The environment as written (plain data), or undefined. */
  environment(name: string): Record<string, unknown> | undefined {
    const node = this.#environments(false)?.get(name, true);
    const value: unknown = node === undefined ? undefined : (node as Node).toJS(this.#doc);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  }

  /** Creates or updates the environment `name`, key by key (see EnvironmentUpdate). */
  setEnvironment(name: string, update: EnvironmentUpdate): void {
    const envs = this.#environments(true)!;
    const existing = envs.get(name, true);
    if (!isMap(existing)) {
      const fresh = Object.fromEntries(Object.entries(update).filter(([, v]) => v !== null && v !== undefined));
      envs.set(this.#doc.createNode(name), this.#node(fresh));
      return;
    }
    for (const [key, value] of Object.entries(update)) {
      if (value === undefined) continue;
      if (value === null) {
        existing.delete(key);
        continue;
      }
      const current = existing.get(key, true) as Node | undefined;
      const patched = current === undefined ? this.#node(value) : this.#patch(current, value);
      if (patched !== current) existing.set(key, patched);
    }
  }

  /**
   * `node` changed in place to hold `value` where the shapes match — mappings key by key, lists
   * item by item, scalars by value — so comments and styles of what stays survive; a new node
   * where they do not.
   */
  #patch(node: Node, value: unknown): Node {
    if (isDeepStrictEqual(node.toJS(this.#doc), value)) return node;
    // Same type only: a quoted "3306" given a number would stay a string.
    if (isScalar(node) && (value === null || typeof value !== 'object') && typeof node.value === typeof value) {
      node.value = value;
      return node;
    }
    if (isMap(node) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      for (const pair of [...node.items]) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (!entries.some(([k]) => k === key)) node.delete(pair.key);
      }
      for (const [k, v] of entries) {
        const current = node.get(k, true) as Node | undefined;
        const patched = current === undefined ? this.#node(v) : this.#patch(current, v);
        if (patched !== current) node.set(k, patched);
      }
      return node;
    }
    if (isSeq(node) && Array.isArray(value)) {
      node.items.splice(value.length);
      value.forEach((v, i) => {
        const current = node.items[i] as Node | undefined;
        node.items[i] = current === undefined ? this.#node(v) : this.#patch(current, v);
      });
      return node;
    }
    return this.#node(value);
  }

  toString(): string {
    return this.#doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  }

  /** Validates the result as a whole (throws CONFIG like loadProjectConfig) and writes it atomically. */
  async save(): Promise<ProjectConfig> {
    const text = this.toString();
    const cfg = parseProjectConfig(text, this.file);
    const tmp = join(dirname(this.file), `.${basename(this.file)}.${process.pid}.tmp`);
    try {
      await writeFile(tmp, text, { flag: 'w' });
      const mode = await stat(this.file).then((st) => st.mode & 0o7777, () => undefined);
      if (mode !== undefined) await chmod(tmp, mode);
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new EnvsnapError('IO', `cannot write ${this.file} (${errnoCode(err) ?? (err as Error).message}): check the directory exists and is writable`);
    }
    return cfg;
  }

  /** The `environments` mapping, created (also in place of an empty `environments:`) when `create`. */
  #environments(create: boolean): YAMLMap | undefined {
    const node = this.#doc.get('environments', true);
    if (isMap(node)) return node;
    if (!create) return undefined;
    if (this.#doc.contents === null) this.#doc.contents = this.#doc.createNode({}) as Document['contents'];
    const map = this.#doc.createNode({}) as YAMLMap;
    this.#doc.set('environments', map);
    return map;
  }

  /**
   * A YAML node for `value`: short lists and mappings of scalars inline; the mappings of a list
   * (databases, Redis) all inline or all in block style, so its entries read alike.
   */
  #node(value: unknown): Node {
    const node = this.#doc.createNode(value) as Node;
    const itemsOf = (n: unknown): unknown[] => (isCollection(n) ? (n.items as unknown[]).map((i) => (isPair(i) ? i.value : i)) : []);
    const fits = (n: unknown) => isCollection(n) && itemsOf(n).length > 0 && itemsOf(n).every((i) => isScalar(i)) && JSON.stringify(n.toJSON()).length <= FLOW_MAX;
    const style = (n: unknown): void => {
      if (!isCollection(n)) return;
      if (fits(n)) {
        n.flow = true;
        return;
      }
      const items = itemsOf(n);
      if (isSeq(n) && items.length > 0 && items.every((i) => isMap(i))) {
        if (items.every(fits)) for (const i of items) (i as YAMLMap).flow = true;
        return;
      }
      for (const i of items) style(i);
    };
    style(node);
    return node;
  }
}
