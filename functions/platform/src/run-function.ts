import { z } from 'zod';
import {
  Ready,
  Severity,
  type Resource,
  type RunFunctionRequest,
  type RunFunctionResponse,
} from '@crossplane-org/function-sdk-typescript';
import { FatalError, formatIssues } from './errors.js';
import { fetched, resolveConfig, type SuppliedResources } from './environment-config/resolve.js';
import { readinessOf } from './readiness.js';
import { findKind } from './kinds/index.js';
import { type Composed } from './kinds/kind.js';
import { API_GROUP_VERSION, type ObservedResources, type XrIdentity } from './composite.js';
import { dnsLabel, objectName } from './schema/fields.js';

/** Options of the handler that come from the command line. */
export interface RunOptions {
  /** How long Crossplane may cache the response, in seconds. */
  ttlSeconds: number;
}

/** What one request did, for the one log line per request. Never holds request content. */
export interface RunSummary {
  kind?: string;
  name?: string;
  namespace?: string;
  outcome: 'composed' | 'fatal';
  resources: number;
  message?: string;
}

type JsonObject = Record<string, unknown>;

const xrEnvelopeSchema = z.object({
  apiVersion: z.literal(API_GROUP_VERSION),
  kind: z.string(),
  metadata: z.object({
    name: objectName(),
    namespace: dnsLabel(),
    uid: z.string().optional(),
    creationTimestamp: z.string().optional(),
  }),
});

/** Builds the response every path starts from: tag, TTL, and the desired state so far. */
function newResponse(req: RunFunctionRequest, options: RunOptions): RunFunctionResponse {
  return {
    meta: { tag: req.meta?.tag ?? '', ttl: { seconds: options.ttlSeconds, nanos: 0 } },
    desired: {
      composite: req.desired?.composite,
      resources: { ...(req.desired?.resources ?? {}) },
    },
    results: [],
    context: req.context,
    requirements: undefined,
    conditions: [],
  };
}

function observedComposed(req: RunFunctionRequest): ObservedResources {
  const out: Record<string, JsonObject> = {};
  for (const [name, observed] of Object.entries(req.observed?.resources ?? {})) {
    if (observed.resource !== undefined) out[name] = observed.resource;
  }
  return out;
}

/**
 * Fails instead of deleting: an observed resource that the composer did not
 * return (and did not drop on purpose) would be deleted by Crossplane, and for
 * infrastructure that is data loss. A bug must not be able to do that.
 */
function checkNothingDropped(observed: ObservedResources, composed: Composed): void {
  const removable = new Set(composed.intentionallyRemoved ?? []);
  const dropped = Object.keys(observed)
    .filter((name) => composed.resources[name] === undefined && !removable.has(name))
    .sort();
  if (dropped.length > 0) {
    throw new FatalError(`cannot drop observed resource${dropped.length > 1 ? 's' : ''} ${dropped.map((d) => `"${d}"`).join(', ')}: refusing to delete what exists`);
  }
}

function compositeReady(ready: boolean | undefined): Ready {
  return ready === false ? Ready.READY_FALSE : Ready.READY_UNSPECIFIED;
}

function writeDesired(rsp: RunFunctionResponse, xr: XrIdentity, composed: Composed, observed: ObservedResources): void {
  const resources: Record<string, Resource> = { ...(rsp.desired?.resources ?? {}) };
  for (const [name, desired] of Object.entries(composed.resources)) {
    resources[name] = { resource: desired.resource, connectionDetails: {}, ready: readinessOf(desired, observed[name]) };
  }
  const previousStatus = (rsp.desired?.composite?.resource?.status ?? {}) as JsonObject;
  rsp.desired = {
    composite: {
      resource: { apiVersion: xr.apiVersion, kind: xr.kind, status: { ...previousStatus, ...composed.status } },
      connectionDetails: {},
      ready: compositeReady(composed.ready),
    },
    resources,
  };
}

function identityOf(composite: JsonObject): XrIdentity {
  const envelope = xrEnvelopeSchema.safeParse(composite);
  if (!envelope.success) throw new FatalError(`cannot read the composite resource: ${formatIssues(envelope.error.issues, [], xrEnvelopeSchema)}`);
  const { apiVersion, kind, metadata } = envelope.data;
  return {
    apiVersion,
    kind,
    name: metadata.name,
    namespace: metadata.namespace,
    ...(metadata.uid ? { uid: metadata.uid } : {}),
    ...(metadata.creationTimestamp ? { creationTimestamp: metadata.creationTimestamp } : {}),
  };
}

/**
 * Longest Fatal message returned. Messages can quote input (an unknown field
 * name, a kind); Crossplane copies them into events and the XR's conditions,
 * and a megabyte there breaks the status update that should show the problem.
 */
export const MAX_MESSAGE_CHARS = 2048;

function boundMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARS) return message;
  const suffix = ` ... (${message.length - MAX_MESSAGE_CHARS} more characters)`;
  return message.slice(0, MAX_MESSAGE_CHARS - suffix.length) + suffix;
}

/**
 * Runs the function for one request: read the XR, resolve its
 * EnvironmentConfig, compose, and turn every failure into a Fatal result.
 * Pure: the same request always gives the same response.
 */
export function runFunction(
  req: RunFunctionRequest,
  options: RunOptions,
): { response: RunFunctionResponse; summary: RunSummary } {
  const rsp = newResponse(req, options);
  const summary: RunSummary = { outcome: 'fatal', resources: 0 };
  let context = 'cannot compose';
  try {
    const composite = req.observed?.composite?.resource;
    if (composite === undefined) throw new FatalError('the request has no observed composite resource');
    const xr = identityOf(composite);
    Object.assign(summary, { kind: xr.kind, name: xr.name, namespace: xr.namespace });
    context = `cannot compose ${xr.kind} ${xr.namespace}/${xr.name}`;

    const definition = findKind(xr.kind);
    if (definition === undefined) throw new FatalError(`kind ${xr.kind} is not served by this function`);

    // Crossplane adds spec.crossplane (composition selection) to every v2 XR; it is not ours to validate.
    // A spec that is not an object goes to zod as it is, so the message says so (spreading it would not).
    const rawSpec: unknown = composite.spec ?? {};
    const isObject = typeof rawSpec === 'object' && rawSpec !== null && !Array.isArray(rawSpec);
    const { crossplane: _crossplane, ...userSpec } = isObject ? (rawSpec as JsonObject) : { crossplane: undefined };
    const parsed = definition.spec.safeParse(isObject ? userSpec : rawSpec);
    if (!parsed.success) throw new FatalError(formatIssues(parsed.error.issues, ['spec'], definition.spec));
    const spec: unknown = parsed.data;

    // Everything the kind reads arrives with the request (the Composition's step
    // requirements); the response asks for nothing, so Crossplane calls once per reconcile.
    const supplied = req.requiredResources as Readonly<Record<string, SuppliedResources | undefined>>;
    const required = Object.fromEntries(definition.requirements.map(({ requirementName }) => [requirementName, fetched(supplied, requirementName)]));
    const configRequest = definition.config(xr, spec);
    const config = resolveConfig(configRequest.layers, supplied, configRequest.schema, configRequest.override);

    const observed = observedComposed(req);
    const composed = definition.compose({ xr, spec, config, observed, required });
    checkNothingDropped(observed, composed);
    writeDesired(rsp, xr, composed, observed);
    for (const message of composed.warnings ?? []) rsp.results.push({ severity: Severity.SEVERITY_WARNING, message });
    summary.outcome = 'composed';
    summary.resources = Object.keys(composed.resources).length;
    return { response: rsp, summary };
  } catch (error) {
    const message =
      error instanceof FatalError
        ? `${context}: ${error.message}`
        : `${context}: internal error: ${error instanceof Error ? error.message : String(error)}`;
    const bounded = boundMessage(message);
    rsp.results.push({ severity: Severity.SEVERITY_FATAL, message: bounded });
    summary.message = bounded;
    return { response: rsp, summary };
  }
}
