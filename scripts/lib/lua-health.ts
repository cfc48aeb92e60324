import { LuaFactory } from 'wasmoon';

/** What an Argo CD health script returns. */
export interface HealthStatus {
  status: 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';
  message: string;
}

/**
 * A Lua table constructor for a JSON value, the way Argo CD hands `obj` to a
 * health script: objects and arrays become tables (arrays 1-based), no userdata.
 */
export function toLuaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLuaLiteral).join(', ')}}`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `[${JSON.stringify(key)}] = ${toLuaLiteral(item)}`)
      .join(', ')}}`;
  }
  throw new Error(`cannot pass a ${typeof value} to Lua`);
}

const factory = new LuaFactory();

/**
 * Runs an Argo CD health script against one object: `obj` is a global, the
 * script's chunk returns `{ status, message }`. Runs in Lua 5.4 (wasmoon);
 * Argo CD uses gopher-lua (5.1), so scripts must keep to the common subset
 * (see {@link lua51Problems}).
 */
export async function runHealthScript(script: string, obj: Record<string, unknown>): Promise<HealthStatus> {
  const lua = await factory.createEngine({ injectObjects: false });
  try {
    await lua.doString(`obj = ${toLuaLiteral(obj)}`);
    const result: unknown = await lua.doString(script);
    if (typeof result !== 'object' || result === null) throw new Error(`health script returned ${String(result)}, not a table`);
    const { status, message } = result as { status?: unknown; message?: unknown };
    if (typeof status !== 'string') throw new Error('health script returned no status');
    return { status: status as HealthStatus['status'], message: typeof message === 'string' ? message : '' };
  } finally {
    lua.global.close();
  }
}

/** Lua 5.2+ features gopher-lua (Lua 5.1) does not have, found by a textual scan of code outside comments. */
export function lua51Problems(script: string): string[] {
  const code = script
    .split('\n')
    .map((line) => line.replace(/--.*$/, '').replace(/"(?:[^"\\]|\\.)*"/g, '""'))
    .join('\n');
  const checks: Array<[RegExp, string]> = [
    [/\bgoto\b|::\w+::/, 'goto and labels (5.2)'],
    [/\/\//, 'integer division // (5.3)'],
    [/<<|>>|[^~=<>]~[^=]|&|\|/, 'bitwise operators (5.3)'],
    [/\bmath\.type\b|\butf8\./, 'math.type / utf8 library (5.3)'],
    [/\btable\.(unpack|pack|move)\b/, 'table.unpack/pack/move (5.2+)'],
    [/<const>|<close>/, 'attributes (5.4)'],
  ];
  return checks.filter(([pattern]) => pattern.test(code)).map(([, what]) => what);
}
