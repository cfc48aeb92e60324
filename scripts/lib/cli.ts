/**
 * Flag parsing every command under scripts/ shares: node's util.parseArgs in
 * strict mode, `-h`/`--help` printing the command's usage on stdout (exit 0),
 * and an unknown flag, a missing value or a stray argument printing the parse
 * error and the usage on stderr (exit 2, as getopt-style tools do).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;

/** What a command accepts and how it explains itself. */
export interface CommandSpec<O extends Options> {
  /** The name errors are prefixed with, e.g. `validate`. */
  name: string;
  /** The whole help text: usage line(s), what it does, every flag. */
  usage: string;
  options: O;
  /** Whether non-flag arguments are accepted (paths, files). */
  positionals?: boolean;
}

/**
 * Parses `args` for `spec`. Prints the usage and exits 0 on `--help`; prints
 * the problem and the usage to stderr and exits 2 on anything it does not
 * understand, before the command does any work.
 */
export function parseCommand<const O extends Options>(spec: CommandSpec<O>, args: readonly string[] = process.argv.slice(2)) {
  const options = { ...spec.options, ...HELP };
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: spec.positionals ?? false, strict: true });
  } catch (error) {
    exitWithUsage(spec, error instanceof Error ? error.message : String(error));
  }
  // The merged option set defeats parseArgs' inference for the extra flag; help is always a boolean.
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(withNewline(spec.usage));
    process.exit(0);
  }
  return parsed;
}

/** Prints `message` and the usage on stderr and exits 2. */
export function exitWithUsage(spec: { name: string; usage: string }, message: string): never {
  process.stderr.write(`${spec.name}: ${message}\n\n${withNewline(spec.usage)}`);
  process.exit(2);
}

/** A whole number of at least `min` (default 1) from a flag, or a usage error naming the flag. */
export function positiveInteger(spec: { name: string; usage: string }, flag: string, value: string, min = 1): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < min) exitWithUsage(spec, `--${flag} "${value}" is not a whole number of at least ${min}`);
  return Number(value);
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
