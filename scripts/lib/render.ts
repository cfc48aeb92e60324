import * as grpc from '@grpc/grpc-js';
import {
  FunctionRunnerServiceService,
  Ready,
  Severity,
  type Resource,
  type RunFunctionRequest,
  type RunFunctionResponse,
} from '@crossplane-org/function-sdk-typescript';
import { DEFAULT_MAX_RECV_MESSAGE_BYTES, loopbackServerOptions, startFunctionServer, type FunctionServer } from '../../functions/platform/src/server.js';
import { FUNCTION_NAME } from './xrd.js';
import { canonical } from './canonical.js';

type JsonObject = Record<string, unknown>;

/** crossplane render's fixed condition time, so output never depends on the clock. */
const RENDER_TIME = '2024-01-01T00:00:00Z';
/** Crossplane gives up when a function's requirements do not settle within this many calls. */
export const MAX_REQUIREMENT_ITERATIONS = 5;

const RUNTIME_ANNOTATION = 'render.crossplane.io/runtime';
const TARGET_ANNOTATION = 'render.crossplane.io/runtime-development-target';
const RESOURCE_NAME_ANNOTATION = 'crossplane.io/composition-resource-name';

/** Inputs of one render, already parsed. */
export interface RenderInput {
  xr: JsonObject;
  composition: JsonObject;
  functions: JsonObject[];
  requiredResources?: JsonObject[];
  observedResources?: JsonObject[];
  includeFullXr?: boolean;
  includeFunctionResults?: boolean;
  /** Where to say how the function runs; silent by default. */
  log?: (line: string) => void;
}

/** A render that a function failed with a Fatal result (crossplane render exits 1 too). */
export class RenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderError';
  }
}

interface Step {
  step: string;
  functionRef: { name: string };
  input?: JsonObject;
  requirements?: { requiredResources?: Array<{ requirementName: string; apiVersion: string; kind: string; name?: string; namespace?: string; matchLabels?: Record<string, string> }> };
}

interface Selector {
  apiVersion: string;
  kind: string;
  matchName?: string;
  matchLabels?: { labels: Record<string, string> };
  namespace?: string;
}

function meta(object: JsonObject): { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } {
  return (object.metadata ?? {}) as ReturnType<typeof meta>;
}

/** Finds the resources a selector asks for, as Crossplane would: by name, or every one with the labels. */
export function selectResources(pool: readonly JsonObject[], selector: Selector): JsonObject[] {
  return pool
    .filter((candidate) => {
      if (candidate.apiVersion !== selector.apiVersion || candidate.kind !== selector.kind) return false;
      const m = meta(candidate);
      if (selector.namespace !== undefined && selector.namespace !== '' && m.namespace !== selector.namespace) return false;
      if (selector.matchName !== undefined) return m.name === selector.matchName;
      const labels = selector.matchLabels?.labels ?? {};
      return Object.entries(labels).every(([k, v]) => m.labels?.[k] === v);
    })
    .sort((a, b) => String(meta(a).name).localeCompare(String(meta(b).name)));
}

/** Answers requirements from a pool of resources, as Crossplane answers them from the cluster. */
export function supply(pool: readonly JsonObject[], selectors: Readonly<Record<string, Selector>>): RunFunctionRequest['requiredResources'] {
  const out: RunFunctionRequest['requiredResources'] = {};
  for (const name of Object.keys(selectors).sort()) {
    const selector = selectors[name];
    if (selector === undefined) continue;
    out[name] = { items: selectResources(pool, selector).map((resource) => ({ resource, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED })) };
  }
  return out;
}

function bootstrapSelectors(step: Step): Record<string, Selector> {
  const out: Record<string, Selector> = {};
  for (const r of step.requirements?.requiredResources ?? []) {
    out[r.requirementName] = {
      apiVersion: r.apiVersion,
      kind: r.kind,
      ...(r.name !== undefined ? { matchName: r.name } : { matchLabels: { labels: r.matchLabels ?? {} } }),
      ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
    };
  }
  return out;
}

/** A connection to one function runtime. */
interface Runtime {
  call(request: RunFunctionRequest): Promise<RunFunctionResponse>;
  close(): Promise<void>;
}

/** The SDK exports the service definition but not a client; build one from it. */
const FunctionRunnerClient = grpc.makeGenericClientConstructor(FunctionRunnerServiceService, 'FunctionRunnerService');

function newClient(target: string): grpc.Client {
  return new FunctionRunnerClient(target, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': DEFAULT_MAX_RECV_MESSAGE_BYTES,
    'grpc.max_send_message_length': DEFAULT_MAX_RECV_MESSAGE_BYTES,
  });
}

/** Whether something answers at `target` within `ms`. */
function reachable(target: string, ms: number): Promise<boolean> {
  const client = newClient(target);
  return new Promise((resolve) => {
    client.waitForReady(Date.now() + ms, (error) => {
      client.close();
      resolve(error === undefined || error === null);
    });
  });
}

function clientRuntime(target: string, onClose: () => Promise<void>): Runtime {
  const client = newClient(target);
  const runFunction = FunctionRunnerServiceService.runFunction;
  return {
    call: (request) =>
      new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          runFunction.path,
          runFunction.requestSerialize,
          runFunction.responseDeserialize,
          request,
          new grpc.Metadata(),
          { deadline: Date.now() + 60_000 },
          (error, response) => {
            if (error || response === undefined) reject(new RenderError(`cannot call function at ${target}: ${error?.message ?? 'no response'}`));
            else resolve(response);
          },
        );
      }),
    close: async () => {
      client.close();
      await onClose();
    },
  };
}

/**
 * Starts the runtime for one Function: a running function named by the
 * Development runtime annotations, or, when nothing answers there (or there is
 * no such annotation), this package's function served here on a free
 * loopback port. Real gRPC either way.
 */
async function startRuntime(fn: JsonObject, log: (line: string) => void): Promise<Runtime> {
  const annotations = meta(fn).annotations ?? {};
  const name = String(meta(fn).name);
  if (annotations[RUNTIME_ANNOTATION] === 'Development') {
    const target = annotations[TARGET_ANNOTATION] ?? 'localhost:9443';
    if (name !== FUNCTION_NAME || (await reachable(target, 500))) return clientRuntime(target, async () => {});
    log(`nothing answers at ${target}; serving ${FUNCTION_NAME} in-process`);
  } else if (name !== FUNCTION_NAME) {
    throw new RenderError(
      `cannot run function "${name}": only ${FUNCTION_NAME} runs in-process; annotate it with ${RUNTIME_ANNOTATION}: Development and start it, or use crossplane render`,
    );
  }
  const server: FunctionServer = await startFunctionServer(loopbackServerOptions());
  return clientRuntime(`127.0.0.1:${server.port}`, () => server.shutdown());
}

function observedState(xr: JsonObject, observed: readonly JsonObject[]): RunFunctionRequest['observed'] {
  const resources: Record<string, Resource> = {};
  for (const resource of observed) {
    const name = meta(resource).annotations?.[RESOURCE_NAME_ANNOTATION];
    if (name === undefined) throw new RenderError(`cannot use observed ${String(resource.kind)} "${String(meta(resource).name)}": it has no ${RESOURCE_NAME_ANNOTATION} annotation`);
    resources[name] = { resource, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED };
  }
  return { composite: { resource: xr, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED }, resources };
}

/** Result of a render: the manifests crossplane render would print, in order. */
export interface RenderOutput {
  manifests: JsonObject[];
  /** RunFunction calls made, for tests of the requirements loop. */
  calls: number;
}

/**
 * Runs a Composition's pipeline for one XR, the way `crossplane render` does:
 * each step over gRPC with the requirements loop, then the XR with its status
 * and every composed resource with the metadata Crossplane would add.
 */
export async function render(input: RenderInput): Promise<RenderOutput> {
  const { xr, composition } = input;
  const pipeline = ((composition.spec as JsonObject | undefined)?.pipeline ?? []) as Step[];
  if ((composition.spec as JsonObject | undefined)?.mode !== 'Pipeline' || pipeline.length === 0) {
    throw new RenderError('cannot render: the Composition must be mode: Pipeline with at least one step');
  }
  const pool = input.requiredResources ?? [];
  const observed = observedState(xr, input.observedResources ?? []);
  let desired: RunFunctionRequest['desired'] = { composite: undefined, resources: {} };
  let context: JsonObject | undefined;
  const results: JsonObject[] = [];
  let calls = 0;

  for (const step of pipeline) {
    const fn = input.functions.find((f) => meta(f).name === step.functionRef.name);
    if (fn === undefined) throw new RenderError(`cannot render step "${step.step}": no Function named "${step.functionRef.name}" in the functions file`);
    const runtime = await startRuntime(fn, input.log ?? (() => {}));
    try {
      let selectors = bootstrapSelectors(step);
      let previous: string | undefined = Object.keys(selectors).length > 0 ? JSON.stringify(canonical(selectors)) : undefined;
      let response: RunFunctionResponse | undefined;
      for (let iteration = 0; ; iteration++) {
        if (iteration >= MAX_REQUIREMENT_ITERATIONS) {
          throw new RenderError(`cannot render step "${step.step}": requirements did not settle after ${MAX_REQUIREMENT_ITERATIONS} calls`);
        }
        const request: RunFunctionRequest = {
          meta: { tag: `${step.step}-${iteration}`, capabilities: [] },
          observed,
          desired,
          input: step.input,
          context,
          extraResources: {},
          credentials: {},
          requiredResources: supply(pool, selectors),
          requiredSchemas: {},
        };
        response = await runtime.call(request);
        calls++;
        selectors = (response.requirements?.resources ?? {}) as Record<string, Selector>;
        const current = JSON.stringify(canonical(selectors));
        if (Object.keys(selectors).length === 0 || current === previous) break;
        previous = current;
      }
      for (const result of response.results) {
        results.push({ apiVersion: 'render.crossplane.io/v1beta1', kind: 'Result', step: step.step, severity: Severity[result.severity], message: result.message });
        if (result.severity === Severity.SEVERITY_FATAL) {
          throw new RenderError(`cannot render composite resource: pipeline step "${step.step}" returned a fatal result: ${result.message}`);
        }
      }
      desired = response.desired ?? desired;
      context = response.context;
    } finally {
      await runtime.close();
    }
  }
  return { manifests: [...assemble(input, desired), ...(input.includeFunctionResults ? results : [])], calls };
}

function assemble(input: RenderInput, desired: RunFunctionRequest['desired']): JsonObject[] {
  const { xr } = input;
  const xrMeta = meta(xr);
  const resources = desired?.resources ?? {};
  const names = Object.keys(resources).sort();
  const unready = names.filter((name) => resources[name]?.ready !== Ready.READY_TRUE);
  const desiredStatus = (desired?.composite?.resource?.status ?? {}) as JsonObject;
  const ready = unready.length === 0
    ? { type: 'Ready', status: 'True', reason: 'Available', lastTransitionTime: RENDER_TIME }
    : { type: 'Ready', status: 'False', reason: 'Creating', message: `Unready resources: ${unready.join(', ')}`, lastTransitionTime: RENDER_TIME };
  const status = { ...((input.includeFullXr ? xr.status : undefined) ?? {}), ...desiredStatus, conditions: [ready] };
  const renderedXr = input.includeFullXr
    ? { ...xr, status }
    : { apiVersion: xr.apiVersion, kind: xr.kind, metadata: { name: xrMeta.name, ...(xrMeta.namespace ? { namespace: xrMeta.namespace } : {}) }, status };

  const composed = names.map((name) => {
    const resource = (resources[name]?.resource ?? {}) as JsonObject;
    const m = meta(resource);
    return {
      ...resource,
      metadata: {
        ...m,
        ...(m.name === undefined ? { generateName: `${xrMeta.name}-` } : {}),
        ...(m.namespace === undefined && xrMeta.namespace ? { namespace: xrMeta.namespace } : {}),
        annotations: { ...(m.annotations ?? {}), [RESOURCE_NAME_ANNOTATION]: name },
        labels: { ...(m.labels ?? {}), 'crossplane.io/composite': xrMeta.name },
        ownerReferences: [
          { apiVersion: xr.apiVersion, kind: xr.kind, name: xrMeta.name, uid: String((xr.metadata as JsonObject).uid ?? ''), controller: true, blockOwnerDeletion: true },
        ],
      },
    };
  });
  return [renderedXr, ...composed].map((m) => canonical(m as JsonObject));
}
