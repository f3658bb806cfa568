/**
 * A tiny JSON Schema (draft 2020-12) validator for exactly the keywords
 * docs/scenario.schema.json uses. It refuses schemas with other keywords, so
 * the schema cannot silently grow rules this checker ignores.
 */

export type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$schema',
  '$id',
  '$defs',
  '$ref',
  'title',
  'description',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'enum',
  'const',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'items',
  'minItems',
  'maxItems',
  'minProperties',
  'oneOf',
  'anyOf',
  'not',
]);

export interface SchemaIssue {
  path: string;
  message: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'bigint') return 'integer';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

const same = (a: unknown, b: unknown): boolean =>
  typeof a === 'bigint' || typeof b === 'bigint' ? String(a) === String(b) : a === b;

export class SchemaLite {
  constructor(readonly root: Schema) {
    this.checkKeywords(root, '#');
  }

  private checkKeywords(s: unknown, at: string): void {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) return;
    for (const [k, v] of Object.entries(s as Schema)) {
      if (!KNOWN.has(k)) throw new Error(`schema keyword '${k}' at ${at} is not supported by schema-lite`);
      if (k === 'properties' || k === '$defs') {
        for (const [pk, pv] of Object.entries(v as Schema)) this.checkKeywords(pv, `${at}/${k}/${pk}`);
      } else if (k === 'items' || k === 'not' || k === 'additionalProperties')
        this.checkKeywords(v, `${at}/${k}`);
      else if (k === 'oneOf' || k === 'anyOf')
        for (const [i, x] of (v as unknown[]).entries()) this.checkKeywords(x, `${at}/${k}/${i}`);
    }
  }

  private deref(ref: string): Schema {
    const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
    const defs = this.root.$defs as Record<string, Schema> | undefined;
    const s = m ? defs?.[m[1]!] : undefined;
    if (!s) throw new Error(`unresolvable $ref ${ref}`);
    return s;
  }

  validate(value: unknown, schema: Schema = this.root, path = ''): SchemaIssue[] {
    const issues: SchemaIssue[] = [];
    const add = (message: string, p = path) => issues.push({ path: p || '/', message });
    if (schema.$ref !== undefined)
      issues.push(...this.validate(value, this.deref(schema.$ref as string), path));
    if (schema.type !== undefined && !matchesType(value, schema.type as string)) {
      add(`expected ${schema.type as string}, got ${typeOf(value)}`);
      return issues;
    }
    if (schema.const !== undefined && !same(value, schema.const))
      add(`expected ${JSON.stringify(schema.const)}`);
    if (schema.enum !== undefined && !(schema.enum as unknown[]).some((e) => same(e, value))) {
      add(`expected one of ${JSON.stringify(schema.enum)}`);
    }
    if (typeof value === 'string') {
      if (schema.pattern !== undefined && !new RegExp(schema.pattern as string, 'u').test(value)) {
        add(`does not match ${schema.pattern as string}`);
      }
      if (schema.minLength !== undefined && [...value].length < (schema.minLength as number))
        add('too short');
      if (schema.maxLength !== undefined && [...value].length > (schema.maxLength as number)) add('too long');
    }
    if (typeof value === 'number' || typeof value === 'bigint') {
      if (schema.minimum !== undefined && value < (schema.minimum as number)) add(`below ${schema.minimum}`);
      if (schema.maximum !== undefined && value > (schema.maximum as number)) add(`above ${schema.maximum}`);
    }
    if (Array.isArray(value)) {
      if (schema.minItems !== undefined && value.length < (schema.minItems as number)) add('too few items');
      if (schema.maxItems !== undefined && value.length > (schema.maxItems as number)) add('too many items');
      if (schema.items !== undefined) {
        value.forEach((v, i) => {
          issues.push(...this.validate(v, schema.items as Schema, `${path}/${i}`));
        });
      }
    }
    if (typeOf(value) === 'object') {
      const obj = value as Record<string, unknown>;
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) add(`missing required '${r}'`);
      if (schema.minProperties !== undefined && Object.keys(obj).length < (schema.minProperties as number)) {
        add('too few properties');
      }
      for (const [k, v] of Object.entries(obj)) {
        if (props[k]) issues.push(...this.validate(v, props[k]!, `${path}/${k}`));
        else if (schema.additionalProperties === false) add(`unknown property '${k}'`, `${path}/${k}`);
      }
    }
    if (schema.anyOf !== undefined) {
      if (!(schema.anyOf as Schema[]).some((s) => this.validate(value, s, path).length === 0)) {
        add('matches none of anyOf');
      }
    }
    if (schema.oneOf !== undefined) {
      const n = (schema.oneOf as Schema[]).filter((s) => this.validate(value, s, path).length === 0).length;
      if (n !== 1) add(`matches ${n} of oneOf (expected exactly 1)`);
    }
    if (schema.not !== undefined && this.validate(value, schema.not as Schema, path).length === 0) {
      add('matches a forbidden schema (not)');
    }
    return issues;
  }
}
