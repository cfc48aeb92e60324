/**
 * What an XR composes once fully created, without a cluster, and what an edit
 * would change:
 *
 *   npm run plan -- <xr.yaml> [--output summary|yaml|values|json]
 *   npm run plan -- <xr.yaml> --diff <edited-xr.yaml>
 *   npm run plan -- <xr.yaml> --diff-configs <edited EnvironmentConfig dir or file>
 *
 * docs/plan.md explains the output, the flags and where "replace" comes from.
 */
import { exitWithUsage, parseCommand } from './lib/cli.js';
import { diffPlans, formatDiff } from './lib/plan-diff.js';
import { formatJson, formatSummary, formatValues, formatYaml, planXr, readXrs, requiredPool, type Plan } from './lib/plan.js';

const USAGE = `Usage: npm run plan -- <xr.yaml> [options]

Shows every resource an XR (Environment, Hub, Network, Storage, Database)
composes once fully created, grouped by concern, without a cluster: the
function runs in-process and providers are simulated as in the tests.

options:
  --output summary|yaml|values|json   summary (default): counts per group and add-on charts;
                                      yaml: every manifest; values: each Helm release's values;
                                      json: the whole plan
  --configs <dir|file>                EnvironmentConfigs to read (repeatable; default:
                                      environment-configs/ and examples/environment-cluster/)
  --hub <dir|file>                    Hubs with status an Environment's hubRef names
                                      (repeatable; default: examples/required/)
  --diff <edited-xr.yaml>             compare with the plan of the edited XR
  --diff-configs <dir|file>           compare with the plan under these EnvironmentConfigs
                                      (repeatable) instead of --configs
  -h, --help                          this text

A diff lists resources added, removed and changed field by field; changes AWS
cannot make in place are marked REPLACE (facts: schemas/immutability/). Exit
code 0 either way; 1 when the XR cannot be planned.
`;

const COMMAND = {
  name: 'plan',
  usage: USAGE,
  positionals: true,
  options: {
    output: { type: 'string', default: 'summary' },
    configs: { type: 'string', multiple: true },
    hub: { type: 'string', multiple: true },
    diff: { type: 'string' },
    'diff-configs': { type: 'string', multiple: true },
  },
} as const;

function main(): number {
  const { values, positionals } = parseCommand(COMMAND);
  const [file, ...rest] = positionals;
  if (file === undefined) exitWithUsage(COMMAND, 'give the XR file to plan');
  if (rest.length > 0) exitWithUsage(COMMAND, `one XR file at a time, not also ${rest.join(' ')}`);
  const formats: Record<string, (plan: Plan) => string> = { summary: formatSummary, yaml: formatYaml, values: formatValues, json: formatJson };
  const format = formats[values.output];
  if (format === undefined) exitWithUsage(COMMAND, `--output must be one of ${Object.keys(formats).join(', ')}, not "${values.output}"`);
  const sources = { ...(values.configs !== undefined ? { configs: values.configs } : {}), ...(values.hub !== undefined ? { hubs: values.hub } : {}) };
  const pool = requiredPool(sources);
  const xrs = readXrs(file);
  if (values.diff === undefined && values['diff-configs'] === undefined) {
    process.stdout.write(xrs.map((xr) => format(planXr(xr, pool))).join(values.output === 'summary' ? '\n' : '---\n'));
    return 0;
  }
  if (values.diff !== undefined && values['diff-configs'] !== undefined) exitWithUsage(COMMAND, 'give --diff or --diff-configs, not both');
  const [xr, ...more] = xrs;
  if (xr === undefined || more.length > 0) throw new Error(`${file}: a diff compares one XR; the file holds ${xrs.length}`);
  let edited = xr;
  let editedPool = pool;
  if (values.diff !== undefined) {
    const [other, ...extra] = readXrs(values.diff);
    if (other === undefined || extra.length > 0) throw new Error(`${values.diff}: a diff compares one XR`);
    edited = other;
  } else {
    editedPool = requiredPool({ ...sources, configs: values['diff-configs'] ?? [] });
  }
  process.stdout.write(formatDiff(diffPlans(planXr(xr, pool), planXr(edited, editedPool))));
  return 0;
}

try {
  process.exitCode = main();
} catch (error: unknown) {
  process.stderr.write(`plan: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
