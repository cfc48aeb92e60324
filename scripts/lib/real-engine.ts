/**
 * Drives an example XR through the real Crossplane engine to its fixpoint:
 * each step is one real `crossplane composition render` (the core's XR
 * reconciler, our function over gRPC); the composed resources it returns come
 * back in the next step as their providers report them (providers.ts). The
 * fixpoint is the step where nothing composed changes any more.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findKind } from '../../functions/platform/src/kinds/index.js';
import { toYaml } from './generated.js';
import { compositionRender, type RenderRun } from './crossplane-cli.js';
import { computedFor, observeAll } from './providers.js';
import { REPO_ROOT } from './validation.js';
import { listFiles, parseManifests } from './schema-validator.js';

type JsonObject = Record<string, unknown>;

const RESOURCE_NAME = 'crossplane.io/composition-resource-name';

/** Where the examples keep what each fetched kind is answered from. */
const SOURCES: Readonly<Record<string, readonly string[]>> = {
  EnvironmentConfig: ['environment-configs', 'examples/environment-cluster'],
  Hub: ['examples/required'],
};

/** The example Environments, each file with the namespace/name of the XRs in it. */
function exampleEnvironmentFiles(): Array<{ file: string; refs: string[] }> {
  return listFiles(join(REPO_ROOT, 'examples/environment'), ['.yaml', '.yml']).map((file) => ({
    file,
    refs: parseManifests(readFileSync(file, 'utf8'), file).map((m) => {
      const metadata = (m.metadata ?? {}) as { name?: string; namespace?: string };
      return `${metadata.namespace ?? ''}/${metadata.name ?? ''}`;
    }),
  }));
}

/**
 * Where Crossplane finds what a kind's Composition fetches up front, as the
 * examples use them (directories or files); nothing for a kind that fetches
 * nothing, and only the kinds it fetches. The engine's in-memory store holds
 * required resources beside the XR, so nothing given here may be the XR under
 * render: a Hub reads no Hub, and an Environment gets the OTHER example
 * Environments only (given the XR; given only its kind, none).
 */
export function requiredResourceDirs(xrOrKind: JsonObject | string): string[] {
  const kind = typeof xrOrKind === 'string' ? xrOrKind : String(xrOrKind.kind);
  const out: string[] = [];
  for (const requirement of findKind(kind)?.requirements ?? []) {
    if (requirement.kind === 'Environment') {
      if (typeof xrOrKind === 'string') continue;
      const metadata = (xrOrKind.metadata ?? {}) as { name?: string; namespace?: string };
      const self = `${metadata.namespace ?? ''}/${metadata.name ?? ''}`;
      out.push(...exampleEnvironmentFiles().filter((f) => !f.refs.includes(self)).map((f) => f.file));
      continue;
    }
    for (const dir of SOURCES[requirement.kind] ?? []) out.push(join(REPO_ROOT, dir));
  }
  return [...new Set(out)];
}

/** One step through the engine. */
export interface EngineStep {
  /** What the step started from: the XR as stored, and the observed composed resources. */
  input: { xr: JsonObject; observed: Record<string, JsonObject> };
  /** The XR as the engine wrote it (spec, metadata and status). */
  xr: JsonObject;
  /** Composed resources as the engine would apply them, by composition-resource name. */
  composed: Record<string, JsonObject>;
  /** Function results (kind: Result). */
  results: JsonObject[];
  /** Observed resources of this step that the engine did not keep: it would delete them. */
  garbageCollected: string[];
}

export interface Fixpoint {
  steps: EngineStep[];
  /** The observed resources of the last step (the fully created state). */
  observed: Record<string, JsonObject>;
}

function write(path: string, manifests: readonly JsonObject[]): string {
  writeFileSync(path, manifests.map((m) => `---\n${toYaml(m)}`).join(''));
  return path;
}

function withoutStatus(resource: JsonObject): JsonObject {
  const { status: _status, ...rest } = resource;
  return rest;
}

/**
 * The XR as the API server stores it: with a uid (a UUID made from its kind,
 * namespace and name, so runs agree), which the engine owns composed resources by.
 */
export function withStableUid(xr: JsonObject): JsonObject {
  const metadata = (xr.metadata ?? {}) as { name?: string; namespace?: string; uid?: string };
  if (metadata.uid !== undefined) return xr;
  const hex = createHash('sha256').update(`${String(xr.kind)}/${metadata.namespace ?? ''}/${metadata.name ?? ''}`).digest('hex');
  return { ...xr, metadata: { ...metadata, uid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}` } };
}

/** The files one kind renders with: its Composition and XRD as generated, the example functions file. */
export function kindFiles(kind: string): { composition: string; xrd: string; functions: string } {
  const definition = findKind(kind);
  if (definition === undefined) throw new Error(`no kind ${kind} in this package`);
  return {
    composition: join(REPO_ROOT, 'compositions', `${definition.plural}.yaml`),
    xrd: join(REPO_ROOT, 'xrds', `${definition.plural}.yaml`),
    functions: join(REPO_ROOT, 'examples', 'functions.yaml'),
  };
}

/** Parses one successful render: the XR first, then composed resources, then Results. */
export function parseRender(run: RenderRun): { xr: JsonObject; composed: Record<string, JsonObject>; results: JsonObject[] } {
  const [xr, ...rest] = run.manifests;
  if (xr === undefined) throw new Error('the render printed nothing');
  const composed: Record<string, JsonObject> = {};
  const results: JsonObject[] = [];
  for (const manifest of rest) {
    if (manifest.apiVersion === 'render.crossplane.io/v1beta1' && manifest.kind === 'Result') {
      results.push(manifest);
      continue;
    }
    const key = ((manifest.metadata as JsonObject | undefined)?.annotations as Record<string, string> | undefined)?.[RESOURCE_NAME];
    if (key === undefined) throw new Error(`composed ${String(manifest.kind)} has no ${RESOURCE_NAME} annotation`);
    composed[key] = manifest;
  }
  return { xr, composed, results };
}

/** The XR's condition of `type`, as the engine wrote it. */
export function conditionOf(xr: JsonObject, type: string): JsonObject | undefined {
  const conditions = ((xr.status as JsonObject | undefined)?.conditions ?? []) as JsonObject[];
  return conditions.find((c) => c.type === type);
}

/**
 * Renders `xr` step by step through the real engine until nothing composed
 * changes (at most `maxSteps`), against the function at `target`. Throws on a
 * failed render, with the CLI's stderr.
 */
export function driveToFixpoint(xr: JsonObject, target: string, workDir: string, maxSteps = 12): Fixpoint {
  const files = kindFiles(String(xr.kind));
  const computed = computedFor(xr);
  const steps: EngineStep[] = [];
  let current = withStableUid(xr);
  let observed: Record<string, JsonObject> = {};
  for (let step = 1; step <= maxSteps; step++) {
    const dir = join(workDir, `step-${step}`);
    mkdirSync(dir, { recursive: true });
    const observedFile = Object.keys(observed).length > 0 ? write(join(dir, 'observed.yaml'), Object.values(observed)) : undefined;
    const run = compositionRender(
      {
        xr: write(join(dir, 'xr.yaml'), [current]),
        ...files,
        requiredResources: requiredResourceDirs(xr),
        ...(observedFile !== undefined ? { observedResources: observedFile } : {}),
        includeFullXr: true,
        includeFunctionResults: true,
      },
      target,
    );
    if (run.status !== 0) throw new Error(`step ${step}: crossplane composition render exited ${run.status}: ${run.stderr}`);
    const parsed = parseRender(run);
    const garbageCollected = Object.keys(observed).filter((key) => parsed.composed[key] === undefined);
    steps.push({ input: { xr: current, observed }, ...parsed, garbageCollected });
    const unchanged =
      Object.keys(parsed.composed).length === Object.keys(observed).length &&
      Object.entries(parsed.composed).every(([key, resource]) => observed[key] !== undefined && JSON.stringify(withoutStatus(resource)) === JSON.stringify(withoutStatus(observed[key])));
    if (unchanged) return { steps, observed };
    observed = observeAll(parsed.composed, computed);
    // The next reconcile reads the XR without the status this one wrote: Crossplane writes the
    // function's status by server-side apply, so a field the function stops returning goes away,
    // where the render engine's in-memory client would merge it and keep it.
    const { status: _written, ...stored } = parsed.xr;
    current = stored;
  }
  throw new Error(`${String(xr.kind)} did not reach a fixpoint in ${maxSteps} steps`);
}

