/**
 * Validates API responses against docs/openapi.yaml with Ajv (JSON Schema 2020-12, which OpenAPI 3.1
 * schemas are): the document is added whole, and each response is checked against the schema its
 * path, method and status declare. An undocumented status or path is a failure too. Test-only.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

const DOC_FILE = fileURLToPath(new URL('../../docs/openapi.yaml', import.meta.url));

interface Doc {
  paths: Record<string, Record<string, { responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }> }>>;
  components: { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };
}

export class OpenApiValidator {
  readonly doc: Doc;
  readonly #ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });

  constructor(file = DOC_FILE) {
    this.doc = parse(readFileSync(file, 'utf8')) as Doc;
    this.#ajv.addSchema(this.doc as object, 'openapi');
  }

  /** The documented path template matching a concrete API path (without the /api/v1 prefix and query). */
  template(path: string): string | undefined {
    const parts = path.split('/');
    return Object.keys(this.doc.paths).find((t) => {
      const tp = t.split('/');
      return tp.length === parts.length && tp.every((p, i) => (p.startsWith('{') && p.endsWith('}') ? parts[i] !== '' : p === parts[i]));
    });
  }

  /** Problems with the response (empty when it matches the document). */
  check(method: string, path: string, status: number, contentType: string | null, body: unknown): string[] {
    const template = this.template(path);
    if (!template) return [`${path} is not documented`];
    const op = this.doc.paths[template]![method.toLowerCase()];
    if (!op) return [`${method} ${template} is not documented`];
    let resp = op.responses?.[String(status)];
    if (!resp) return [`${method} ${template} does not document status ${status}`];
    let pointer = `openapi#/paths/${esc(template)}/${method.toLowerCase()}/responses/${status}`;
    if (resp.$ref) {
      const name = resp.$ref.split('/').pop()!;
      resp = this.doc.components.responses[name]!;
      pointer = `openapi#/components/responses/${esc(name)}`;
    }
    if (!resp.content) return body === undefined || body === null || body === '' ? [] : [`${method} ${template} ${status} documents no body`];
    const type = (contentType ?? '').split(';')[0]!.trim();
    if (!resp.content[type]) return [`${method} ${template} ${status}: content type ${type} is not documented`];
    if (type !== 'application/json') return [];
    const validate = this.#ajv.getSchema(`${pointer}/content/${esc(type)}/schema`);
    if (!validate) return [`no schema at ${pointer}`];
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${method} ${template} ${status}: ${e.instancePath || 'body'} ${e.message}`);
  }
}

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
