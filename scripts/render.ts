/**
 * `crossplane composition render` with the real Crossplane CLI and engine
 * (built by scripts/crossplane-tools/build.sh when missing) against this
 * checkout's function, served for the call on a free loopback port; see USAGE.
 * The Functions' Development target is pointed at the served function, so
 * nothing needs to be running beforehand, and a function left running on 9443
 * is never the one that answers. Afterwards stderr names the function that
 * answered and how many calls it served (from its own metrics).
 */
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { RELEASE_VERSION } from '../functions/platform/src/release.js';
import { exitWithUsage, parseCommand } from './lib/cli.js';
import { CLI_BINARY, CORE_BINARY, ensureTools, functionCalls, serveFunction } from './lib/crossplane-cli.js';
import { REPO_ROOT } from './lib/validation.js';

const USAGE = `Usage: npm run -s render -- <xr.yaml> <composition.yaml> <functions.yaml> [flags]

Renders an XR with the real crossplane composition render and the real
Crossplane engine (.tools/crossplane/crossplane-core) against this checkout's
function, which render serves on a free 127.0.0.1 port for the call. Prints the
rendered YAML on stdout (use npm run -s so npm's banner stays out of it); on
stderr, which function answered and how many calls it served.

Flags (passed to crossplane composition render):
  -e, --required-resources <path>     Resources the function reads (EnvironmentConfigs,
                                      Hubs); a file or directory; repeatable.
  -o, --observed-resources <path>     Observed state of composed resources, each annotated
                                      with crossplane.io/composition-resource-name.
  -x, --include-full-xr               Print the XR's spec and metadata too.
  -r, --include-function-results      Print the function's results as kind: Result.
  -c, --include-context               Print the pipeline context as kind: Context.
      --xrd <file>                    Apply the XRD's defaults and validation to the XR.
      --extra-resources <path>        Deprecated spelling of --required-resources.
  -s, --required-schemas <dir>        OpenAPI v3 schemas for functions that need them.
      --context-files <k=v,...>       Context values read from files.
      --context-values <k=v,...>      Context values (JSON/YAML).
      --function-credentials <path>   Credentials for the functions.
  -a, --function-annotations <k=v>    Override Function annotations; repeatable.
      --timeout <duration>            How long to run before timing out (crossplane's default 1m).
      --verbose                       Verbose crossplane logging.
  -h, --help                          Show this help.

render sets --crossplane-binary itself; the other crossplane flags that choose
an engine (--crossplane-version, --crossplane-image, ...) do not apply.
`;

const COMMAND = { name: 'render', usage: USAGE };

/** The flags of `crossplane composition render` (CLI v2.5.0, pinned by scripts/crossplane-tools/cli/go.mod) render passes through. */
const PASS_THROUGH = {
  'required-resources': { type: 'string', short: 'e', multiple: true },
  'extra-resources': { type: 'string', multiple: true },
  'observed-resources': { type: 'string', short: 'o' },
  'include-full-xr': { type: 'boolean', short: 'x' },
  'include-function-results': { type: 'boolean', short: 'r' },
  'include-context': { type: 'boolean', short: 'c' },
  xrd: { type: 'string' },
  'required-schemas': { type: 'string', short: 's' },
  'context-files': { type: 'string' },
  'context-values': { type: 'string' },
  'function-credentials': { type: 'string' },
  'function-annotations': { type: 'string', short: 'a', multiple: true },
  timeout: { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

/** The checkout's commit, `-dirty` when the work tree has changes; undefined outside git. */
function checkoutCommit(): string | undefined {
  const head = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (head.status !== 0) return undefined;
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'functions'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() === '' ? '' : '-dirty'}`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const { positionals } = parseCommand({ ...COMMAND, options: PASS_THROUGH, positionals: true }, args);
  if (positionals.length !== 3) exitWithUsage(COMMAND, `expected <xr.yaml> <composition.yaml> <functions.yaml>, got ${positionals.length} argument(s)`);
  ensureTools();
  const fn = await serveFunction();
  try {
    const result = spawnSync(
      CLI_BINARY,
      // Our annotation comes last, so it wins over a Development target in the Functions file or the arguments.
      ['composition', 'render', ...args, '--crossplane-binary', CORE_BINARY, '--function-annotations', `render.crossplane.io/runtime-development-target=${fn.target}`],
      // npm runs scripts in the package root; the paths were typed where the user stands.
      { stdio: 'inherit', cwd: process.env.INIT_CWD ?? process.cwd() },
    );
    const calls = await functionCalls(fn);
    const commit = checkoutCommit();
    const source = relative(process.env.INIT_CWD ?? process.cwd(), `${REPO_ROOT}/functions/platform/src`) || '.';
    process.stderr.write(
      `render: answered by function-platform ${RELEASE_VERSION}${commit === undefined ? '' : ` (${commit})`} from ${source}, served by render on ${fn.target}: ${calls} RunFunction call${calls === 1 ? '' : 's'}\n`,
    );
    if (result.status === 0 && calls === 0) {
      process.stderr.write('render: the function render served answered no call, so another function produced this output: check the Functions file and --function-annotations\n');
      return 1;
    }
    return result.status ?? 1;
  } finally {
    await fn.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`render: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
