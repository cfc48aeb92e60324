/**
 * Every example through the real Crossplane engine: the CLI's `composition
 * render` with the core's XR reconciler (`--crossplane-binary`), against this
 * function over gRPC, step by step to the fixpoint, each step's composed
 * resources coming back as their providers report them. `npm test` builds the
 * tools first (pretest: scripts/crossplane-tools/build.sh).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compositionRender, functionCalls, resourceValidate, scratchDir, serveFunction, toolsBuilt, validationExtensions, type ServedFunction } from '../scripts/lib/crossplane-cli.js';
import { exampleRenders } from '../scripts/lib/examples.js';
import { composeInProcess, desiredManifests } from '../scripts/lib/in-process.js';
import { conditionOf, driveToFixpoint, kindFiles, requiredResourceDirs, withStableUid, type Fixpoint } from '../scripts/lib/real-engine.js';
import { settleInProcess } from '../scripts/lib/settle.js';
import { toYaml } from '../scripts/lib/generated.js';

type JsonObject = Record<string, unknown>;

const STEP_TIMEOUT_MS = 15 * 60_000;

/** What the engine adds to a composed resource that the function did not write; compared without it. */
function withoutEngineMetadata(resource: JsonObject, desired: JsonObject): JsonObject {
  const metadata = { ...((resource.metadata ?? {}) as JsonObject) };
  const wanted = (desired.metadata ?? {}) as JsonObject;
  delete metadata.ownerReferences;
  delete metadata.generateName;
  if (wanted.name === undefined) delete metadata.name;
  const labels = { ...((metadata.labels ?? {}) as JsonObject) };
  delete labels['crossplane.io/composite'];
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  else delete metadata.labels;
  const { status: _status, ...rest } = resource;
  return { ...rest, metadata };
}

function byResourceName(manifests: readonly JsonObject[]): Record<string, JsonObject> {
  return Object.fromEntries(manifests.map((m) => [((m.metadata as JsonObject).annotations as Record<string, string>)['crossplane.io/composition-resource-name'], m]));
}

describe('every example under the real Crossplane engine', () => {
  let fn: ServedFunction;
  let scratch: ReturnType<typeof scratchDir>;
  let extensions: string;

  beforeAll(async () => {
    if (!toolsBuilt()) throw new Error('the Crossplane tools are not built: run `npm test` (its pretest builds them) or `bash scripts/crossplane-tools/build.sh`');
    scratch = scratchDir('e2e-');
    extensions = validationExtensions(scratch.path);
    fn = await serveFunction();
  }, 120_000);
  afterAll(async () => {
    await fn?.stop();
    scratch?.dispose();
  });

  for (const example of exampleRenders()) {
    const { xr, requiredResources } = example.input;
    describe(example.file, () => {
      let fixpoint: Fixpoint;
      let workDir: string;

      beforeAll(() => {
        workDir = join(scratch.path, example.file.replaceAll('/', '_'));
        mkdirSync(workDir, { recursive: true });
        fixpoint = driveToFixpoint(xr, fn.target, workDir);
      }, STEP_TIMEOUT_MS);

      it('converges to Ready=True and Synced=True, and the engine never garbage-collects a resource', () => {
        const last = fixpoint.steps.at(-1)!;
        expect(conditionOf(last.xr, 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
        expect(conditionOf(last.xr, 'Synced')).toMatchObject({ status: 'True' });
        expect(fixpoint.steps.map((step) => step.garbageCollected)).toEqual(fixpoint.steps.map(() => []));
        expect(Object.keys(last.composed).length).toBeGreaterThan(0);
      });

      it('passes the real `crossplane resource validate` at every step (XRD CEL rules included)', () => {
        const all = join(workDir, 'all-steps.yaml');
        // Every step's XR and composed resources; names repeat across steps, so each step is validated as it was.
        const documents = fixpoint.steps.flatMap((step) => [step.xr, ...Object.values(step.composed)]);
        writeFileSync(all, documents.map((m) => `---\n${toYaml(m)}`).join(''));
        const result = resourceValidate(extensions, all);
        expect(result.findings).toEqual([]);
        expect(result.status, result.output.slice(-2000)).toBe(0);
      });

      it('composes at every step exactly what the in-process call composes from the same XR and observed resources', () => {
        for (const [index, step] of fixpoint.steps.entries()) {
          const { response } = composeInProcess(step.input.xr, requiredResources, { observed: step.input.observed });
          const desired = byResourceName(desiredManifests(step.input.xr, response));
          expect(Object.keys(step.composed).sort(), `step ${index + 1}`).toEqual(Object.keys(desired).sort());
          for (const [key, resource] of Object.entries(step.composed)) expect(withoutEngineMetadata(resource, desired[key]!), `step ${index + 1}: ${key}`).toEqual(desired[key]);
          const { conditions: _conditions, ...engineStatus } = (step.xr.status ?? {}) as JsonObject;
          expect(engineStatus, `step ${index + 1}: XR status`).toEqual(response.desired?.composite?.resource?.status ?? {});
        }
      });

      it('reaches the same fully created state as the in-process settle the unit tests use', () => {
        const stored = withStableUid(xr);
        const inProcess = settleInProcess(stored, requiredResources);
        const desired = byResourceName(desiredManifests(stored, inProcess.response));
        const engine = fixpoint.steps.at(-1)!.composed;
        expect(Object.keys(engine).sort()).toEqual(Object.keys(desired).sort());
        for (const [key, resource] of Object.entries(engine)) expect(withoutEngineMetadata(resource, desired[key]!), key).toEqual(desired[key]);
        const { conditions: _conditions, ...engineStatus } = (fixpoint.steps.at(-1)!.xr.status ?? {}) as JsonObject;
        expect(engineStatus).toEqual(inProcess.response.desired?.composite?.resource?.status ?? {});
      });

      it('makes one function call per settled reconcile', async () => {
        const last = fixpoint.steps.at(-1)!;
        const dir = join(workDir, 'settled');
        mkdirSync(dir, { recursive: true });
        const observedFile = join(dir, 'observed.yaml');
        writeFileSync(observedFile, Object.values(fixpoint.observed).map((m) => `---\n${toYaml(m)}`).join(''));
        const xrFile = join(dir, 'xr.yaml');
        writeFileSync(xrFile, `---\n${toYaml(last.xr)}`);
        const before = await functionCalls(fn);
        const run = compositionRender({ xr: xrFile, ...kindFiles(String(xr.kind)), requiredResources: requiredResourceDirs(xr), observedResources: observedFile }, fn.target);
        expect(run.status, run.stderr).toBe(0);
        expect((await functionCalls(fn)) - before).toBe(1);
      });
    });
  }

  describe('bad input reaches the function through the engine and comes back as its Fatal', () => {
    const cases = [
      {
        reason: 'a CIDR with host bits set passes the XRD schema; the function refuses it and names the field',
        file: 'examples/environment/dev.yaml',
        spec: { network: { cidr: '10.1.3.0/16' } },
        want: 'spec.network.cidr: "10.1.3.0/16" has host bits set; did you mean 10.1.0.0/16?',
      },
      {
        reason: 'an Environment naming an environment with no EnvironmentConfig',
        file: 'examples/environment/dev.yaml',
        spec: { environment: 'qa' },
        want: 'cannot find EnvironmentConfig labelled platform.projectcatalyst.io/environment=qa',
      },
      {
        reason: 'a second prod in the example prod\'s account, found among the other Environments the Composition fetches',
        file: 'examples/environment/prod-standalone.yaml',
        spec: { overrides: { aws: { accountId: '333333333333' } } },
        // Created after the example prod: the later Environment is the one refused.
        metadata: { creationTimestamp: '2030-01-01T00:00:00Z' },
        want: 'spec.environment: cannot use "prod" in account 333333333333: Environment env-prod/prod already does',
      },
    ];
    for (const tc of cases) {
      it(tc.reason, () => {
        const example = exampleRenders().find((e) => e.file === tc.file)!;
        const xr: JsonObject = {
          ...example.input.xr,
          metadata: { ...(example.input.xr.metadata as JsonObject), ...('metadata' in tc ? tc.metadata : {}) },
          spec: { ...(example.input.xr.spec as JsonObject), ...tc.spec },
        };
        const path = join(scratch.path, `bad-${tc.reason.length}.yaml`);
        writeFileSync(path, `---\n${toYaml(xr)}`);
        const run = compositionRender({ xr: path, ...kindFiles(String(xr.kind)), requiredResources: requiredResourceDirs(xr) }, fn.target);
        expect(run.status).not.toBe(0);
        expect(run.stderr).toContain('pipeline returned fatal');
        expect(run.stderr).toContain(tc.want);
      });
    }
  });
});
