import type { z } from 'zod';

/**
 * An error that becomes a Fatal result. Its message is lowercase and starts
 * with "cannot", like function-patch-and-transform's; callers wrap it with the
 * identity of the failing item as it travels up.
 */
export class FatalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FatalError';
  }

  /** Returns a new error whose message is `context: <this message>`. */
  wrap(context: string): FatalError {
    return new FatalError(`${context}: ${this.message}`);
  }
}

/** Formats a field path the way kubectl does: `spec.paths[0].path`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/** One problem with an input: the field path as the user wrote it, and what is wrong with it and how to fix it. */
export interface Problem {
  path: string;
  message: string;
  /** The path as segments, when known (zod's): keys holding "." or "[" then sort as the keys they are. */
  segments?: readonly PropertyKey[];
}

/**
 * Orders problems by path (the order a person reads a manifest in), keeping
 * the order they were found for one path, and joins them into one message:
 * every problem of an input is reported at once, not one per attempt.
 */
export function formatProblems(problems: readonly Problem[]): string {
  return problems
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => comparePaths(a.problem, b.problem) || a.index - b.index)
    .map(({ problem }) => `${problem.path === '' ? '(root)' : problem.path}: ${problem.message}`)
    .join('; ');
}

/** Throws one FatalError holding every problem, if there are any. */
export function throwProblems(problems: readonly Problem[]): void {
  if (problems.length > 0) throw new FatalError(formatProblems(problems));
}

/** Paths compare segment by segment, list indexes as numbers: spec.a[2] before spec.a[10], spec.a before spec.a.b. */
function comparePaths(a: Problem, b: Problem): number {
  const split = (p: Problem): readonly PropertyKey[] => p.segments ?? p.path.split(/[.[\]]+/).filter((s) => s !== '').map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
  const left = split(a);
  const right = split(b);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return left.length - right.length;
}

/**
 * Turns zod issues into problems, one per field. With the schema that was
 * parsed, an unknown field suggests the nearest known one and a value of the
 * wrong type shows what is expected with an example. `prefix` is prepended to
 * every path so messages name the field as the user wrote it (`spec.size`).
 */
export function issueProblems(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = [], schema?: z.ZodType): Problem[] {
  return issues.flatMap((issue) => {
    const segments = [...prefix, ...issue.path];
    const path = formatPath(segments);
    const at = schema === undefined ? undefined : schemaAt(schema, issue.path);
    if (issue.code === 'unrecognized_keys') {
      const known = at === undefined ? [] : objectKeys(at);
      return issue.keys.map((key) => ({ path, segments, message: `unknown field "${key}"${suggestion(key, known)}` }));
    }
    return [{ path, segments, message: describeIssue(issue, at) }];
  });
}

/** Zod issues as one message: every issue, sorted by path (see {@link issueProblems}). */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = [], schema?: z.ZodType): string {
  return formatProblems(issueProblems(issues, prefix, schema));
}

function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType | undefined): string {
  switch (issue.code) {
    case 'invalid_type': {
      // zod says "received undefined" for a missing field; say what a person would.
      if (issue.message.endsWith('received undefined')) return 'required field is missing';
      // zod calls a fraction where an integer belongs "number"; say what is actually wrong.
      const received = issue.expected === 'int' ? 'fraction' : /received ([a-zA-Z]+)/.exec(issue.message)?.[1];
      const expected = schema === undefined ? undefined : exampleOf(schema);
      const got = received === undefined ? '' : `, got ${article(received)}`;
      return expected === undefined ? lowerFirst(issue.message) : `expected ${expected}${got}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union': {
      const expected = schema === undefined ? undefined : exampleOf(schema);
      return expected === undefined ? lowerFirst(issue.message) : `expected ${expected}`;
    }
    default:
      return lowerFirst(issue.message);
  }
}

function article(type: string): string {
  if (type === 'null' || type === 'undefined') return type;
  if (type === 'array') return 'a list';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

// Zod's definitions as far as this file reads them: enough to walk a schema by
// an issue's path and describe what a field takes. Zod's own types for them are
// internal and differ per schema type.
interface Definition {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: readonly z.ZodType[];
  entries?: Record<string, string | number>;
  values?: readonly unknown[];
  checks?: ReadonlyArray<{ _zod: { def: { check?: string; format?: string; value?: number; inclusive?: boolean; error?: (issue: unknown) => unknown } } }>;
  getter?: () => z.ZodType;
}

function definitionOf(schema: z.ZodType): Definition {
  return (schema as unknown as { _zod: { def: Definition } })._zod.def;
}

/** The schema without optional/default/pipe wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = definitionOf(current);
    const next = def.type === 'pipe' ? def.in : def.type === 'lazy' ? def.getter?.() : def.innerType;
    if (next === undefined) return current;
    current = next;
  }
  return current;
}

/** The schema of the value at `path` inside `schema`, where it can be told. */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    if (current === undefined) return undefined;
    const def = definitionOf(unwrap(current));
    if (def.type === 'object') current = def.shape?.[String(segment)];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'record') current = def.valueType;
    else return undefined;
  }
  return current === undefined ? undefined : unwrap(current);
}

function objectKeys(schema: z.ZodType): string[] {
  const def = definitionOf(unwrap(schema));
  return def.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

/** What a field takes, with an example: "a size such as 512Mi, 20Gi or 2Ti", "a whole number from 2 to 3". */
function exampleOf(schema: z.ZodType): string | undefined {
  const def = definitionOf(unwrap(schema));
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  switch (def.type) {
    case 'string': {
      // The field's own format message ("must be a DNS label ...", "must be a size such as 20Gi").
      for (const check of checks) {
        const text = formatMessage(check.error);
        if (text === undefined || !text.startsWith('must be ')) continue;
        const what = text.slice('must be '.length);
        return /^an? /.test(what) ? what : `a string that is ${what}`;
      }
      return 'a string';
    }
    case 'number': {
      const whole = checks.some((c) => c.check === 'number_format' && (c.format === 'safeint' || c.format === 'int32'));
      const min = checks.find((c) => c.check === 'greater_than')?.value;
      const max = checks.find((c) => c.check === 'less_than')?.value;
      const noun = whole ? 'a whole number' : 'a number';
      if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
      if (min !== undefined) return `${noun} of at least ${min}`;
      return `${noun} such as ${whole ? 3 : 1.5}`;
    }
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${Object.values(def.entries ?? {}).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'literal':
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(' or ');
    case 'union': {
      const parts = (def.options ?? []).map(exampleOf);
      return parts.every((p) => p !== undefined) ? parts.join(' or ') : undefined;
    }
    case 'array': {
      const element = def.element === undefined ? undefined : exampleOf(def.element);
      return element === undefined ? 'a list' : `a list, each ${element}`;
    }
    case 'object': {
      const keys = Object.keys(def.shape ?? {});
      return keys.length === 0 ? 'an object' : `an object with fields ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', ...' : ''}`;
    }
    case 'record':
      return 'an object of named entries';
    default:
      return undefined;
  }
}

/** The fixed message a check was declared with (`{ message }`), if any; a message computed from the issue is skipped. */
function formatMessage(error: ((issue: unknown) => unknown) | undefined): string | undefined {
  try {
    const text = error?.(undefined);
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

/** ` (did you mean "class"?)` when a known field is close to the unknown one, else nothing. */
export function suggestion(unknown: string, known: readonly string[]): string {
  const nearest = nearestName(unknown, known);
  return nearest === undefined ? '' : ` (did you mean "${nearest}"?)`;
}

/** The known name closest to `name` by edit distance, if close enough to be a slip (ties: the first in order). */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  // A third of the name may be wrong (at least one letter, at most three): typos, not different words.
  const allowed = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  return best !== undefined && best.distance <= allowed ? best.name : undefined;
}

/** Levenshtein distance, counting a swap of two neighbouring letters as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => rows[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = value;
    }
  }
  return at(a.length, b.length);
}
