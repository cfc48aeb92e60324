/**
 * Validates manifests with the real `crossplane resource validate` (built by
 * scripts/crossplane-tools/build.sh when missing), offline, against the
 * upstream CRDs in schemas/ and this package's XRDs (CEL rules included); then
 * checks what that command cannot: EnvironmentConfig data with the function's
 * own schemas (the CRD leaves it open), kinds of this package's API group it
 * does not define, and `# placeholder:` values still in place. See USAGE.
 */
import { existsSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { API_GROUP } from '../functions/platform/src/composite.js';
import { parseCommand } from './lib/cli.js';
import { ensureTools, resourceValidate, scratchDir, validationExtensions } from './lib/crossplane-cli.js';
import { toYaml } from './lib/generated.js';
import { findPlaceholders, jsonAt, type Placeholder } from './lib/placeholders.js';
import { listFiles } from './lib/schema-validator.js';
import { REPO_ROOT, environmentConfigReport, type ManifestSource } from './lib/validation.js';

type JsonObject = Record<string, unknown>;

const USAGE = `Usage: npm run validate [-- [flags] [paths...]]

Validates Kubernetes manifests offline with the real crossplane resource validate
against the upstream CRDs in schemas/, Kubernetes' built-in kinds, Crossplane's
own CRDs and this package's XRDs (CEL rules included), then checks:
  - EnvironmentConfig data against the function's own schemas;
  - that every kind of ${API_GROUP} is one this package defines;
  - that no value marked "# placeholder: ..." reaches a deployment unchanged.
Paths are files or directories of .yaml/.yml; "-" reads stdin. With no paths it
validates the package itself: xrds, compositions, environment-configs, examples,
crossplane.yaml, package. A YAML syntax error is reported with its file and line
and the other files are still validated. Exit code 1 on any error ([x] lines).

Placeholders: in your own files (anything outside this package's
environment-configs/, examples/ and argocd/, and stdin) a marked value is an
error naming the file, line, field and what to put there. In the package's own
files it is a warning ([!]), since they ship as templates; --deploy makes it an
error there too (use it when you deploy straight from a fork of this repository).
In your own files it also warns ([!]) when a field still holds a value the package
marks as a placeholder with the comment gone, and when a marked value was changed
but the comment left behind.

Flags:
  --deploy                     Placeholders in the package's own files are errors too.
  --error-on-missing-schemas   A kind without a schema is an error, not a warning.
  --schemas <dir>              Extra CRD/XRD directory to validate against; repeatable.
  -h, --help                   Show this help.

Examples:
  npm run validate
  npm run validate -- my-platform/environment-configs
  npm run -s render -- <xr> <composition> <functions> -x | npm run validate -- -
`;

/** What `npm run validate` checks with no arguments. */
const DEFAULT_PATHS = ['xrds', 'compositions', 'environment-configs', 'examples', 'crossplane.yaml', 'package'];

/** The package's own directories that ship as templates, whose placeholders are expected. */
const TEMPLATE_DIRS = ['environment-configs', 'examples', 'argocd'];

/**
 * npm prints `> name@version script` and `> command` then a blank line on stdout
 * before a script's output; piped from `npm run render` without -s it would
 * arrive here first. It is never YAML a user meant, so it is dropped.
 */
const NPM_BANNER = /^\n?(?:> [^\n]*\n)+\n/;

interface Finding {
  error: boolean;
  line: string;
}

/** Whether `file` is inside one of the package's template directories (symlinks resolved). */
function isPackageTemplate(file: string): boolean {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return false;
  }
  const root = realpathSync(REPO_ROOT);
  return TEMPLATE_DIRS.some((dir) => real.startsWith(`${join(root, dir)}${sep}`));
}

/** The placeholders the package ships (in its template directories), with the file each is in. */
function shippedPlaceholders(): Array<Placeholder & { file: string }> {
  const shipped: Array<Placeholder & { file: string }> = [];
  for (const dir of TEMPLATE_DIRS) {
    if (!existsSync(join(REPO_ROOT, dir))) continue;
    for (const file of listFiles(join(REPO_ROOT, dir), ['.yaml', '.yml'])) {
      for (const p of findPlaceholders(readFileSync(file, 'utf8')).placeholders) shipped.push({ ...p, file: relative(REPO_ROOT, file) });
    }
  }
  return shipped;
}

/**
 * Placeholder findings for one file. A marked value is an error in a user's file (or with
 * --deploy), a warning in the package's templates; a marked value that no longer equals what
 * the package ships there was edited and only the comment is left (a warning). An unmarked
 * value equal to one the package marks at the same kind and field is a warning: the comment
 * went but the value may not have, and it may also be the user's real value.
 */
function placeholderFindings(file: string, text: string, manifests: readonly JsonObject[], template: boolean, deploy: boolean, shipped: ReadonlyArray<Placeholder & { file: string }>): Finding[] {
  const findings: Finding[] = [];
  const { placeholders, stray } = findPlaceholders(text);
  const strict = deploy || !template;
  for (const p of placeholders) {
    const same = shipped.filter((s) => s.kind === p.kind && s.path === p.path);
    if (strict && same.length > 0 && !same.some((s) => s.json === p.json)) {
      findings.push({ error: false, line: `[!] ${file}:${p.line}: ${p.resource}: ${p.path} (${p.value}) is no longer the package's placeholder but still marked "# placeholder:": delete the comment once the value is right` });
      continue;
    }
    findings.push({
      error: strict,
      line: `${strict ? '[x]' : '[!]'} ${file}:${p.line}: ${p.resource}: ${p.path} is still the placeholder ${p.value}: replace it with ${p.hint || 'your own value'} (then delete the "# placeholder:" comment)`,
    });
  }
  for (const s of stray) findings.push({ error: true, line: `[x] ${file}:${s.line}: a "# placeholder:" comment on a line without a value (${s.hint})` });
  if (template) return findings;
  for (const manifest of manifests) {
    const name = String(((manifest.metadata ?? {}) as { name?: unknown }).name ?? '?');
    const reported = new Set<string>();
    for (const s of shipped) {
      if (s.kind !== manifest.kind || reported.has(s.path) || placeholders.some((p) => p.resource === `${s.kind} ${name}` && p.path === s.path)) continue;
      if (jsonAt(manifest, s.segments) !== s.json) continue;
      reported.add(s.path);
      findings.push({ error: false, line: `[!] ${file}: ${s.kind} ${name}: ${s.path} is ${s.value}, the package's placeholder (${s.file}:${s.line}): unless that is really yours, replace it with ${s.hint}` });
    }
  }
  return findings;
}

/** Reads every source, keeping each document that parses and reporting each that does not with its file and line. */
function readSources(paths: readonly string[], deploy: boolean): { sources: ManifestSource[]; findings: Finding[] } {
  const sources: ManifestSource[] = [];
  const findings: Finding[] = [];
  const shipped = shippedPlaceholders();
  const read = (file: string, text: string, template: boolean): void => {
    const counter = new LineCounter();
    const manifests: JsonObject[] = [];
    for (const doc of parseAllDocuments(text, { lineCounter: counter })) {
      const error = doc.errors[0];
      if (error !== undefined) {
        const at = counter.linePos(error.pos[0]);
        // yaml's message repeats the position and ends with a source excerpt; the prefix says where.
        const message = (error.message.split('\n')[0] ?? error.code).replace(/ at line \d+, column \d+:?$/, '');
        findings.push({ error: true, line: `[x] ${file}:${at.line}:${at.col}: cannot parse YAML: ${message}` });
        continue;
      }
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value)) {
        const at = counter.linePos(doc.range[0]);
        findings.push({ error: true, line: `[x] ${file}:${at.line}: a YAML document here is not a Kubernetes object (a mapping with apiVersion and kind)` });
        continue;
      }
      manifests.push(value as JsonObject);
    }
    sources.push({ file, manifests });
    findings.push(...placeholderFindings(file, text, manifests, template, deploy, shipped));
  };
  for (const path of paths) {
    if (path === '-') {
      read('<stdin>', readFileSync(0, 'utf8').replace(NPM_BANNER, ''), false);
      // Empty input most often means the command before the pipe failed; passing would hide it.
      if (sources.at(-1)?.manifests.length === 0) findings.push({ error: true, line: '[x] <stdin>: no manifests to validate (did the command before the pipe fail?)' });
      continue;
    }
    // npm runs scripts in the package root; a path the user typed is relative to where they typed it.
    const base = process.env.INIT_CWD ?? process.cwd();
    const absolute = resolve(base, path);
    if (!existsSync(absolute)) throw new Error(`cannot read ${path}: no such file or directory`);
    const files = statSync(absolute).isDirectory() ? listFiles(absolute, ['.yaml', '.yml']) : [absolute];
    for (const file of files) read(relative(base, file) || file, readFileSync(file, 'utf8').replace(NPM_BANNER, ''), isPackageTemplate(file));
  }
  return { sources, findings };
}

/** The kinds this package defines, as `group/version Kind`, from its XRDs. */
function packageKinds(): { known: Set<string>; names: string[] } {
  const known = new Set<string>();
  const names = new Set<string>();
  for (const file of listFiles(join(REPO_ROOT, 'xrds'), ['.yaml'])) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const xrd = doc.toJS() as { spec?: { group?: string; names?: { kind?: string }; versions?: Array<{ name?: string }> } } | null;
      const kind = xrd?.spec?.names?.kind;
      if (kind === undefined) continue;
      names.add(kind);
      for (const version of xrd?.spec?.versions ?? []) known.add(`${xrd?.spec?.group ?? ''}/${version.name ?? ''} ${kind}`);
    }
  }
  return { known, names: [...names].sort() };
}

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Manifests of this package's API group that are not one of its kinds and versions: `resource validate` would only skip them. */
function unknownKinds(sources: readonly ManifestSource[]): Finding[] {
  const { known, names } = packageKinds();
  const findings: Finding[] = [];
  for (const { file, manifests } of sources) {
    for (const manifest of manifests) {
      const apiVersion = String(manifest.apiVersion);
      if (!apiVersion.startsWith(`${API_GROUP}/`) || known.has(`${apiVersion} ${String(manifest.kind)}`)) continue;
      const name = String(((manifest.metadata ?? {}) as { name?: unknown }).name ?? '?');
      const kind = String(manifest.kind);
      const nearest = names.find((known) => editDistance(known.toLowerCase(), kind.toLowerCase()) <= 2);
      const versions = [...new Set([...known].map((k) => k.split(' ')[0]))].join(', ');
      findings.push({
        error: true,
        line: `[x] ${apiVersion} ${kind} ${name} (${file}): this package defines no kind ${kind} at ${apiVersion}${nearest !== undefined && nearest !== kind ? ` (did you mean ${nearest}?)` : ''}; its kinds are ${names.join(', ')} at ${versions}`,
      });
    }
  }
  return findings;
}

function main(): number {
  const { values, positionals } = parseCommand({
    name: 'validate',
    usage: USAGE,
    positionals: true,
    options: {
      deploy: { type: 'boolean', default: false },
      'error-on-missing-schemas': { type: 'boolean', default: false },
      schemas: { type: 'string', multiple: true, default: [] },
    },
  });
  const paths = positionals.length > 0 ? positionals : DEFAULT_PATHS.map((p) => join(REPO_ROOT, p)).filter((p) => existsSync(p));
  const { sources, findings } = readSources(paths, values.deploy);
  findings.push(...unknownKinds(sources));
  let realFailed = false;
  if (sources.some(({ manifests }) => manifests.length > 0)) {
    ensureTools();
    const scratch = scratchDir('validate-');
    try {
      const resources = join(scratch.path, 'resources.yaml');
      writeFileSync(resources, sources.flatMap(({ manifests }) => manifests.map((m) => `---\n${toYaml(m)}`)).join(''));
      const real = resourceValidate(validationExtensions(scratch.path, values.schemas), resources, { errorOnMissingSchemas: values['error-on-missing-schemas'] });
      process.stdout.write(real.output.endsWith('\n') || real.output === '' ? real.output : `${real.output}\n`);
      realFailed = real.status !== 0;
    } finally {
      scratch.dispose();
    }
  }
  for (const line of environmentConfigReport(sources)) findings.push({ error: true, line });
  for (const finding of findings) process.stdout.write(`${finding.line}\n`);
  return realFailed || findings.some((f) => f.error) ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`validate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
