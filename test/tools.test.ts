/**
 * The repository's commands behave as a user expects: every one answers --help
 * and refuses a flag it does not know; `npm start` stops with npm; validate
 * reports YAML errors, unknown kinds of the package's group and placeholders;
 * one Node version is stated everywhere and every dependency accepts it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionCalls, serveFunction } from '../scripts/lib/crossplane-cli.js';
import { findPlaceholders } from '../scripts/lib/placeholders.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function npm(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd: options.cwd ?? REPO_ROOT, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(options.input ?? '');
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const SCRIPTS = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Runs a package.json script line with the package's bin directory on PATH, as npm does. */
function shell(command: string): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd: REPO_ROOT, env: { ...process.env, PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every command README lists, as a user types it with -s, and the name its messages carry. */
const COMMANDS: Array<{ script: string; name: string }> = [
  { script: 'render', name: 'render' },
  { script: 'validate', name: 'validate' },
  { script: 'examples', name: 'examples' },
  { script: 'bench', name: 'bench' },
  { script: 'bench:fleet', name: 'bench:fleet' },
  { script: 'generate', name: 'generate' },
  { script: 'generate:mrap', name: 'generate:mrap' },
  { script: 'docs', name: 'docs' },
  { script: 'bundle', name: 'bundle' },
  { script: 'package', name: 'package' },
  { script: 'crossplane-tools', name: 'crossplane-tools' },
  { script: 'plan', name: 'plan' },
  { script: 'start', name: 'function-platform' },
];

describe.concurrent('every command answers --help and refuses an unknown flag', () => {
  it('lists every npm script that is a command (so a new one gets a case here)', () => {
    const scripts = Object.keys(SCRIPTS);
    const notCommands = ['build', 'lint', 'test', 'pretest'];
    expect(scripts.filter((s) => !notCommands.includes(s)).sort()).toEqual(COMMANDS.map((c) => c.script).sort());
  });

  it('npm passes --help through as the README says (npm run -s <command> -- --help)', async () => {
    const exit = await npm(['run', '-s', 'validate', '--', '--help']);
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stdout).toMatch(/^Usage: npm run validate/);
  }, 60_000);

  for (const { script, name } of COMMANDS) {
    it(`${script}: --help prints the usage on stdout and exits 0`, async () => {
      const exit = await shell(`${SCRIPTS[script] ?? 'false'} --help`);
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stdout).toMatch(/^Usage: /);
      expect(exit.stdout).toContain('--help');
    }, 60_000);

    it(`${script}: an unknown flag is a usage error (exit 2) naming the flag, before any work`, async () => {
      // The script's own command line as npm runs it, without npm's start-up cost.
      const exit = await shell(`${SCRIPTS[script] ?? 'false'} --no-such-flag`);
      expect(exit.code).toBe(2);
      expect(exit.stdout).toBe('');
      expect(exit.stderr).toContain(`${name}: `);
      expect(exit.stderr).toContain('--no-such-flag');
      expect(exit.stderr).toContain('Usage: ');
    }, 60_000);
  }
});

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => (socket.destroy(), resolve(false)));
    socket.connect(port, '127.0.0.1');
  });
}

describe('npm start', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`passes ${signal} sent to npm on to the server, which stops and frees its port`, async () => {
      // Its own process group, so whatever happens the test can end everything it started.
      const child = spawn('npm', ['start', '--', '--insecure', '--address', '127.0.0.1:0', '--metrics-address=', '--health-address='], {
        cwd: REPO_ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stderr.resume();
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        const port = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`the server did not start: ${stdout}`)), 45_000);
          child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
            const match = /"msg":"serving RunFunction"/.test(stdout) ? /"port":(\d+)/.exec(stdout) : null;
            if (match !== null) {
              clearTimeout(timer);
              resolve(Number(match[1]));
            }
          });
        });
        expect(await connects(port)).toBe(true);
        process.kill(child.pid ?? 0, signal);
        expect(await exited).toBe(0);
        expect(stdout).toContain(`"signal":"${signal}"`);
        expect(stdout).toContain('"msg":"stopped"');
        expect(await connects(port)).toBe(false);
      } finally {
        try {
          process.kill(-(child.pid ?? 0), 'SIGKILL');
        } catch {
          // Already gone: the expected case.
        }
      }
    }, 60_000);
  }
});

describe('npm run render', () => {
  it('is answered by the function it serves itself, never by one left running elsewhere, and says so on stderr', async () => {
    // A function already running (as a forgotten `npm start` would be), named as the target in the arguments.
    const stale = await serveFunction();
    try {
      const exit = await npm(
        ['run', '-s', 'render', '--', 'examples/storage/fast.yaml', 'compositions/storages.yaml', 'examples/functions.yaml', '-e', 'examples/environment-cluster', '-a', `render.crossplane.io/runtime-development-target=${stale.target}`],
      );
      expect(exit.code, exit.stderr).toBe(0);
      expect(exit.stdout).toContain('kind: PersistentVolumeClaim');
      expect(exit.stderr).toMatch(/^render: answered by function-platform v\d+\.\d+\.\d+ .*from functions\/platform\/src, served by render on 127\.0\.0\.1:(\d+): 1 RunFunction call$/m);
      expect(exit.stderr).not.toContain(stale.target);
      expect(await functionCalls(stale)).toBe(0);
    } finally {
      await stale.stop();
    }
  }, 180_000);
});

describe('placeholders (# placeholder: markers)', () => {
  const cases: Array<{ reason: string; yaml: string; want: Array<{ line: number; path: string; value: string; hint: string }>; stray?: number[] }> = [
    {
      reason: 'a block scalar value is marked at its own path',
      yaml: 'kind: EnvironmentConfig\nmetadata: { name: dev }\ndata:\n  aws:\n    accountId: "111111111111" # placeholder: the dev account id\n',
      want: [{ line: 5, path: 'data.aws.accountId', value: '111111111111', hint: 'the dev account id' }],
    },
    {
      reason: 'on a flow mapping line the marker belongs to the first value',
      yaml: 'data:\n  network: { accountId: "444444444444", providerConfigName: aws-network } # placeholder: the network account id\n',
      want: [{ line: 2, path: 'data.network.accountId', value: '444444444444', hint: 'the network account id' }],
    },
    {
      reason: 'a flow list is marked as a whole',
      yaml: 'data:\n  egressCidrs: [198.51.100.10/32, 198.51.100.11/32] # placeholder: the egress IPs\n',
      want: [{ line: 2, path: 'data.egressCidrs', value: '["198.51.100.10/32","198.51.100.11/32"]', hint: 'the egress IPs' }],
    },
    {
      reason: 'a list item is marked by its index, in the right document of a stream',
      yaml: 'a: 1\n---\nhosts:\n  - ns1.example.internal # placeholder: your DNS primary\n',
      want: [{ line: 4, path: 'hosts[0]', value: 'ns1.example.internal', hint: 'your DNS primary' }],
    },
    {
      reason: 'a whole-line comment and a "#" inside a quoted value are not markers',
      yaml: '# placeholder: not a marker\nurl: "https://x/#placeholder: no"\n',
      want: [],
    },
    {
      reason: 'a marker on a line that holds no value is reported, so it gets fixed',
      yaml: 'data: # placeholder: nothing here\n  a: 1\n',
      want: [],
      stray: [1],
    },
  ];
  for (const c of cases) {
    it(c.reason, () => {
      const found = findPlaceholders(c.yaml);
      expect(found.placeholders.map(({ line, path, value, hint }) => ({ line, path, value, hint }))).toEqual(c.want);
      expect(found.stray.map((s) => s.line)).toEqual(c.stray ?? []);
    });
  }

  it('the shipped EnvironmentConfigs mark their account ids and parent zone, and every marker marks a value', () => {
    const marked = new Set<string>();
    for (const name of readdirSync(join(REPO_ROOT, 'environment-configs'))) {
      const found = findPlaceholders(readFileSync(join(REPO_ROOT, 'environment-configs', name), 'utf8'));
      expect(found.stray, name).toEqual([]);
      for (const p of found.placeholders) marked.add(`${name} ${p.path}`);
    }
    for (const want of ['base.yaml data.aws.network.accountId', 'base.yaml data.dns.account.accountId', 'base.yaml data.dns.parentZoneId', 'dev.yaml data.aws.accountId', 'staging.yaml data.aws.accountId', 'prod.yaml data.aws.accountId']) {
      expect(marked, want).toContain(want);
    }
  });
});

describe('npm run validate on a user\'s files (the real CLI)', () => {
  // As npm runs it: in the package root, with INIT_CWD where the user typed the command.
  const validate = (args: string[], where = REPO_ROOT) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/validate.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, INIT_CWD: where } });

  it('flags copied placeholders as errors naming file, line, field and what to put there; reports a YAML error with its line and still validates the rest; refuses an unknown kind of the package group', () => {
    const dir = mkdtempSync(join(tmpdir(), 'user-platform-'));
    try {
      cpSync(join(REPO_ROOT, 'environment-configs'), join(dir, 'environment-configs'), { recursive: true });
      // The user replaced staging's account id and removed its marker, and forgot dev's; in prod
      // they removed the marker but not the value; in onprem they set the Vault URL but left the marker.
      const edit = (name: string, from: RegExp, to: string) => {
        const path = join(dir, 'environment-configs', name);
        writeFileSync(path, readFileSync(path, 'utf8').replace(from, to));
      };
      edit('staging.yaml', /"222222222222" # placeholder:.*$/m, '"210987654321"');
      edit('prod.yaml', /"333333333333" # placeholder:.*$/m, '"333333333333"');
      edit('onprem.yaml', /https:\/\/vault\.dc1\.projectcatalyst\.internal:8200/, 'https://vault.example.org:8200');
      writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b\ndata: {}\n');
      writeFileSync(join(dir, 'typo.yaml'), 'apiVersion: platform.projectcatalyst.io/v1alpha1\nkind: Enviroment\nmetadata: { name: dev, namespace: env-dev }\n');
      writeFileSync(join(dir, 'bad-storage.yaml'), 'apiVersion: platform.projectcatalyst.io/v1alpha1\nkind: Storage\nmetadata: { name: a, namespace: b }\nspec: { class: fast, size: huge }\n');
      const result = validate(['.'], dir);
      expect(result.status, result.stderr).toBe(1);
      // Line numbers as the copied files have them, so edits to the shipped configs do not break the test.
      const lineOf = (name: string, text: string) => readFileSync(join(dir, 'environment-configs', name), 'utf8').split('\n').findIndex((line) => line.includes(text)) + 1;
      const lines = result.stdout.split('\n');
      expect(lines).toContain(
        `[x] environment-configs/dev.yaml:${lineOf('dev.yaml', 'accountId:')}: EnvironmentConfig dev: data.aws.accountId is still the placeholder 111111111111: replace it with the dev account's 12-digit id (then delete the "# placeholder:" comment)`,
      );
      expect(result.stdout).toContain(`[x] environment-configs/base.yaml:${lineOf('base.yaml', 'parentZoneId:')}: EnvironmentConfig base: data.dns.parentZoneId is still the placeholder`);
      // Staging's replaced account id is not flagged (its other placeholders still are).
      expect(result.stdout).not.toMatch(/environment-configs\/staging\.yaml[^\n]*data\.aws\.accountId/);
      expect(lines).toContain(
        `[!] environment-configs/prod.yaml: EnvironmentConfig prod: data.aws.accountId is 333333333333, the package's placeholder (environment-configs/prod.yaml:${lineOf('prod.yaml', 'accountId:')}): unless that is really yours, replace it with the prod account's 12-digit id`,
      );
      expect(lines).toContain(
        `[!] environment-configs/onprem.yaml:${lineOf('onprem.yaml', 'vault.example.org')}: EnvironmentConfig onprem: data.onprem.secretStore.server (https://vault.example.org:8200) is no longer the package's placeholder but still marked "# placeholder:": delete the comment once the value is right`,
      );
      // Where the parser found the unclosed flow map: the line after it opened.
      expect(result.stdout).toContain('[x] broken.yaml:8:1: cannot parse YAML: Flow map in block collection must be sufficiently indented and end with a }');
      expect(result.stdout).toContain('this package defines no kind Enviroment at platform.projectcatalyst.io/v1alpha1 (did you mean Environment?)');
      // The documents that parse were still validated, the bad Storage among them.
      expect(result.stdout).toMatch(/Kind=Storage, a : spec\.size: Invalid value: "huge"/);
      expect(result.stdout).toMatch(/Total \d+ resources/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('fails on empty stdin, which a failed command before the pipe leaves', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/validate.ts'), '-'], { cwd: REPO_ROOT, encoding: 'utf8', input: '' });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('[x] <stdin>: no manifests to validate (did the command before the pipe fail?)');
  }, 60_000);

  it('warns about the package\'s own placeholders without failing, and fails on them with --deploy', () => {
    const shipped = validate(['environment-configs/dev.yaml']);
    expect(shipped.status, shipped.stdout).toBe(0);
    const line = readFileSync(join(REPO_ROOT, 'environment-configs/dev.yaml'), 'utf8').split('\n').findIndex((text) => text.includes('accountId:')) + 1;
    expect(shipped.stdout).toContain(`[!] environment-configs/dev.yaml:${line}: EnvironmentConfig dev: data.aws.accountId is still the placeholder 111111111111`);
    const deploy = validate(['--deploy', 'environment-configs/dev.yaml']);
    expect(deploy.status).toBe(1);
    expect(deploy.stdout).toContain(`[x] environment-configs/dev.yaml:${line}: EnvironmentConfig dev: data.aws.accountId is still the placeholder 111111111111`);
  }, 180_000);
});

/** Whether `version` satisfies an npm engines range (the forms dependencies use: ||, comparators, ^, ~, x and *). */
function satisfies(version: string, range: string): boolean {
  const v = version.split('.').map(Number);
  const cmp = (a: number[], b: number[]): number => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  const comparator = (text: string): boolean => {
    const match = /^(>=|<=|>|<|=|\^|~)?v?(\d+|[x*])(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?$/.exec(text);
    if (match === null) throw new Error(`cannot read engines range "${range}"`);
    const op = match[1] ?? '';
    const parts = [match[2], match[3], match[4]];
    const fixed = parts.findIndex((p) => p === undefined || p === 'x' || p === '*');
    const given = (fixed === -1 ? parts : parts.slice(0, fixed)).map(Number);
    const low = [given[0] ?? 0, given[1] ?? 0, given[2] ?? 0];
    if (op === '>=') return cmp(v, low) >= 0;
    if (op === '>') return cmp(v, low) > 0;
    if (op === '<') return cmp(v, low) < 0;
    if (op === '<=') return cmp(v, low) <= 0;
    const bump = op === '^' ? Math.max(0, given.findIndex((n) => n !== 0)) : op === '~' ? Math.min(1, given.length - 1) : given.length - 1;
    if (given.length === 0) return true;
    const high = [...low];
    high[bump] = (high[bump] ?? 0) + 1;
    for (let i = bump + 1; i < 3; i++) high[i] = 0;
    return op === '' || op === '=' ? (fixed === -1 ? cmp(v, low) === 0 : cmp(v, low) >= 0 && cmp(v, high) < 0) : cmp(v, low) >= 0 && cmp(v, high) < 0;
  };
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|=)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean)
      .every(comparator),
  );
}

describe('one Node version', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; dependencies: Record<string, string> };
  const major = readFileSync(join(REPO_ROOT, '.nvmrc'), 'utf8').trim();
  const minimum = /^\^(\d+\.\d+\.\d+)$/.exec(pkg.engines.node)?.[1];

  it('is stated alike in .nvmrc, package.json engines, the README and both stages of the Dockerfile', () => {
    expect(major).toMatch(/^\d+$/);
    expect(minimum?.split('.')[0]).toBe(major);
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain(`Node ${major} with npm`);
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const images = [...dockerfile.matchAll(/^FROM (?:--platform=\S+ )?(\S+)/gm)].map((m) => m[1]);
    expect(images).toEqual([expect.stringMatching(new RegExp(`^node:${major}-`)), expect.stringMatching(new RegExp(`^gcr\\.io/distroless/nodejs${major}-`))]);
  });

  it('satisfies the engines of every installed dependency, except ones never loaded at run time', () => {
    // kubernetes-models (and its @kubernetes-models/* packages) asks for Node 22, but only its
    // types are used: our one import is `import type`, and the SDK names it in comments only.
    const typeOnly = (name: string) => name === 'kubernetes-models' || name.startsWith('@kubernetes-models/');
    const refused: string[] = [];
    const walk = (dir: string): void => {
      if (!existsSync(dir)) return;
      for (const name of readdirSync(dir)) {
        if (name.startsWith('.')) continue;
        const path = join(dir, name);
        if (name.startsWith('@')) {
          walk(path);
          continue;
        }
        const manifestPath = join(path, 'package.json');
        if (!existsSync(manifestPath)) continue;
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name?: string; version?: string; engines?: { node?: string } };
        const range = manifest.engines?.node;
        if (range !== undefined && !satisfies(minimum ?? '0.0.0', range) && !typeOnly(manifest.name ?? '')) refused.push(`${manifest.name}@${manifest.version}: ${range}`);
        walk(join(path, 'node_modules'));
      }
    };
    walk(join(REPO_ROOT, 'node_modules'));
    expect(refused).toEqual([]);
  });

  it('loads kubernetes-models nowhere: types only, in our code and in the SDK', () => {
    const imports = spawnSync('grep', ['-rnE', "(from|import\\(|require\\()\\s*['\"](@kubernetes-models/|kubernetes-models)", 'functions', 'scripts', 'node_modules/@crossplane-org/function-sdk-typescript/dist', '--include=*.ts', '--include=*.js'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).stdout;
    const loading = imports.split('\n').filter((line) => line !== '' && !/import type /.test(line) && !/^\S+:\d+:\s*\*/.test(line) && !/\.d\.ts:/.test(line));
    expect(loading).toEqual([]);
  });

  it('reads engines ranges as npm does (the forms dependencies use)', () => {
    const cases: Array<[string, string, boolean]> = [
      ['20.19.0', '>=20', true],
      ['20.19.0', '>=22', false],
      ['20.19.0', '^20.19.0 || >=22.12.0', true],
      ['20.18.0', '^20.19.0 || >=22.12.0', false],
      ['20.19.0', '^16 || ^18 || >=20', true],
      ['20.19.0', '6.* || 8.* || >= 10.*', true],
      ['20.19.0', '^10 || ^12 || ^13.7 || ^14 || >=15.0.1', true],
      ['20.19.0', '^20.0.0 || ^22.0.0 || >=24.0.0', true],
      ['20.19.0', '>= 10.x', true],
      ['20.19.0', '>=18 <20', false],
      ['20.19.0', '~20.18.0', false],
    ];
    for (const [version, range, want] of cases) expect(satisfies(version, range), `${version} ${range}`).toBe(want);
  });
});
