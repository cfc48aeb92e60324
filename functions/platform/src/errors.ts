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

/**
 * Turns zod issues into one line per field, `path: message`, in the order zod
 * found them (deterministic for a given input). `prefix` is prepended to every
 * path so messages name the field as the user wrote it (`spec.size`).
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string {
  return issues
    .map((issue) => {
      const path = formatPath([...prefix, ...issue.path]);
      return `${path === '' ? '(root)' : path}: ${describeIssue(issue)}`;
    })
    .join('; ');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      // zod says "received undefined" for a missing field; say what a person would.
      return issue.message.endsWith('received undefined') ? 'required field is missing' : lowerFirst(issue.message);
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return lowerFirst(issue.message);
  }
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}
