/**
 * The README's own commands, run as written from a clean copy of the repository
 * (the files git tracks, as in the work tree; no build output, no .tools, no
 * .bench), so the README cannot drift from what works: every command line of
 * the "Start here" section's sh blocks, and the render | validate pipe of
 * "Validating". Two commands are not run but checked: `npm ci` (it would
 * replace node_modules, which the copy shares with this checkout by a symlink;
 * checked: package.json and package-lock.json agree, which is what npm ci
 * requires) and `npm test` (this is part of it; checked: it is what CI runs).
 * The Crossplane tools come from this checkout (CROSSPLANE_TOOLS_DIR), so the
 * Go build is not repeated.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOLS_DIR } from '../scripts/lib/crossplane-cli.js';
import { exampleRenders } from '../scripts/lib/examples.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The text of the README section headed `## <title>`, up to the next `## `. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

/** The command lines of a section's ```sh blocks: comments dropped, continuation lines joined. */
function shCommands(text: string): string[] {
  const commands: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = (block[1] ?? '').replace(/\\\n\s*/g, '');
    for (const line of joined.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command !== '' && !command.startsWith('#')) commands.push(command);
    }
  }
  return commands;
}

function run(command: string, cwd: string) {
  return spawnSync('bash', ['-c', command], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    timeout: 300_000,
    env: { ...process.env, CROSSPLANE_TOOLS_DIR: TOOLS_DIR, INIT_CWD: cwd, npm_config_update_notifier: 'false' },
  });
}

describe('the README, run from a clean copy', () => {
  let clone = '';

  beforeAll(() => {
    clone = mkdtempSync(join(tmpdir(), 'readme-clone-'));
    const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(tracked.status, tracked.stderr).toBe(0);
    for (const file of tracked.stdout.split('\0').filter(Boolean)) {
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      try {
        copyFileSync(join(REPO_ROOT, file), join(clone, file));
      } catch (error) {
        // A tracked file deleted in the work tree is not in a clone of the next commit either.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
  });

  afterAll(() => {
    if (clone !== '') rmSync(clone, { recursive: true, force: true });
  });

  const startHere = shCommands(section('Start here'));

  const steps = startHere.flatMap((line) => line.split('&&').map((c) => c.trim()));

  it('starts a newcomer with install, the examples and the tests', () => {
    expect(steps.slice(0, 2)).toEqual(['npm ci', 'npm run examples']);
    expect(steps).toContain('npm test');
  });

  it('npm ci: package.json and package-lock.json agree (what npm ci insists on)', () => {
    const pkg = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as Record<string, unknown>;
    const lock = JSON.parse(readFileSync(join(clone, 'package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, Record<string, unknown>> };
    const root = lock.packages[''] ?? {};
    expect(lock.lockfileVersion).toBe(3);
    for (const key of ['name', 'version', 'dependencies', 'devDependencies', 'engines', 'license']) expect(root[key], key).toEqual(pkg[key]);
  });

  it('npm test: is what CI runs, type check then vitest', () => {
    const ci = readFileSync(join(clone, '.ci', 'run'), 'utf8').split('\n');
    expect(ci).toContain('npm ci --no-audit --no-fund');
    expect(ci).toContain('npm test');
    const scripts = (JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test).toBe('npm run -s lint && vitest run');
    expect(scripts.pretest).toBe('bash scripts/crossplane-tools/build.sh');
  });

  it('every other Start-here command runs as written (npm run examples renders and validates every example)', () => {
    for (const command of steps.filter((c) => c !== 'npm ci' && c !== 'npm test')) {
      const result = run(command, clone);
      expect(result.status, `${command}\n${result.stderr}`).toBe(0);
      if (command !== 'npm run examples') continue;
      const ok = result.stderr.split('\n').filter((line) => line.startsWith('ok   '));
      expect(ok.length).toBe(exampleRenders().length);
      expect(result.stderr).not.toContain('FAIL');
      expect(result.stdout).toContain('# examples/environment/dev.yaml\n');
    }
  }, 300_000);

  it('the render | validate pipe of "Validating" runs as written and says which function answered', () => {
    const pipe = shCommands(section('Validating')).filter((c) => c.includes('| npm run validate -- -'));
    expect(pipe.length).toBe(1);
    const result = run(`set -o pipefail; ${pipe[0] ?? ''}`, clone);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Total \d+ resources: 0 missing schemas, \d+ success cases, 0 failure cases/);
    expect(result.stderr).toMatch(/render: answered by function-platform v\d+\.\d+\.\d+ .*from functions\/platform\/src, served by render on 127\.0\.0\.1:\d+: 1 RunFunction call/);
  }, 300_000);
});
