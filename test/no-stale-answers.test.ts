import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ready, type RunFunctionRequest, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { loopbackServerOptions, startFunctionServer, type FunctionServer } from '../functions/platform/src/server.js';
import { call, newClient } from './helpers/grpc-client.js';
import { prng, responseBytes } from './helpers/outcome.js';
import { configWith } from './helpers/project-xrs.js';
import { environmentRequired, platformEnvironment, readManifest, request, storageXr, withPlatformEnvironment, type JsonObject } from './helpers/requests.js';

/**
 * A changed EnvironmentConfig or Hub under the tag of the previous call (Crossplane
 * releases before v2.3 computed the tag before filling in required resources; a
 * caller can send any tag): the function keeps nothing between calls, so every
 * call answers from its own request.
 */

/** One tag for every call: what Crossplane sends when only a required resource changed. */
const TAG = 'a'.repeat(64);

const HUB = readManifest('examples/required/hub.yaml');
const STAGING = { ...readManifest('examples/environment/staging.yaml'), metadata: { name: 'staging', namespace: 'env-staging', uid: '00000000-0000-4000-8000-00000000a1a1' } };

function stagingRequest(hub: JsonObject): RunFunctionRequest {
  const required = environmentRequired({ hubs: [hub] });
  return request(STAGING, { required, tag: TAG });
}

function hubWithGateway(id: string): JsonObject {
  return { ...HUB, status: { ...(HUB.status as JsonObject), transitGatewayId: id } };
}

function storageRequest(className: string): RunFunctionRequest {
  const config = configWith(platformEnvironment(), (data) => {
    ((data.storageClasses as JsonObject).standard as JsonObject).name = className;
  });
  return request(storageXr({ class: 'standard', size: '10Gi' }), { required: withPlatformEnvironment(config), tag: TAG });
}

function resourceAt(response: RunFunctionResponse, name: string): JsonObject {
  const resource = response.desired?.resources[name]?.resource;
  if (resource === undefined) throw new Error(`no desired resource ${name}: ${JSON.stringify(response.results)}`);
  return resource;
}

const forProvider = (resource: JsonObject) => (resource.spec as JsonObject).forProvider as JsonObject;

describe('a changed required resource under the same tag, over gRPC', () => {
  let server: FunctionServer;
  beforeAll(async () => {
    server = await startFunctionServer(loopbackServerOptions());
  });
  afterAll(async () => server.shutdown());

  const cases: Array<{ reason: string; before: RunFunctionRequest; after: RunFunctionRequest; read: (r: RunFunctionResponse) => unknown; want: [unknown, unknown] }> = [
    {
      reason: 'a Storage class renamed in platform-environment (same length, so the same request size): the claim takes the new name',
      before: storageRequest('standard'),
      after: storageRequest('gp3-fast'),
      read: (r) => (resourceAt(r, 'claim').spec as JsonObject).storageClassName,
      want: ['standard', 'gp3-fast'],
    },
    {
      reason: 'the Hub publishing another Transit Gateway: the attachment follows it',
      before: stagingRequest(hubWithGateway('tgw-0aaaaaaaaaaaaaaa1')),
      after: stagingRequest(hubWithGateway('tgw-0bbbbbbbbbbbbbbb2')),
      read: (r) => forProvider(resourceAt(r, 'transit-gateway-attachment')).transitGatewayId,
      want: ['tgw-0aaaaaaaaaaaaaaa1', 'tgw-0bbbbbbbbbbbbbbb2'],
    },
  ];

  it.each(cases.map((c) => [c.reason, c] as const))('%s', async (_reason, c) => {
    const client = newClient(`127.0.0.1:${server.port}`);
    try {
      const first = await call(client, c.before);
      const second = await call(client, c.after);
      expect(first.meta?.tag).toBe(TAG);
      expect(second.meta?.tag).toBe(TAG);
      expect([c.read(first), c.read(second)]).toEqual(c.want);
      // And back: the first answer again, not the last one.
      expect(c.read(await call(client, c.before))).toEqual(c.want[0]);
    } finally {
      client.close();
    }
  });
});

describe('nothing to go stale', () => {
  let server: FunctionServer;
  beforeAll(async () => {
    server = await startFunctionServer(loopbackServerOptions());
  });
  afterAll(async () => server.shutdown());

  /**
   * Changes that reach different reads of the request: the XR's spec, its
   * metadata, a required resource, the observed state, the context, nothing.
   */
  const changes: Array<(req: RunFunctionRequest, random: () => number) => RunFunctionRequest> = [
    (req) => req,
    (req, random) => ({ ...req, context: { ...(req.context ?? {}), note: `n${Math.floor(random() * 5)}` } }),
    (_req, random) => storageRequest(['standard', 'fast-io2', 'gp3-enc1'][Math.floor(random() * 3)] ?? 'standard'),
    (_req, random) => request(storageXr({ class: 'standard', size: `${10 + Math.floor(random() * 3)}Gi` }), { required: withPlatformEnvironment(), tag: TAG }),
    (_req, random) => stagingRequest(hubWithGateway(`tgw-0${String(Math.floor(random() * 4)).repeat(16)}`)),
    (req, random) => {
      const xr = structuredClone(req.observed?.composite?.resource ?? {});
      (xr.metadata as JsonObject).resourceVersion = String(Math.floor(random() * 1000));
      return { ...req, observed: { resources: req.observed?.resources ?? {}, composite: { resource: xr, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED } } };
    },
  ];

  it('answers a sequence of changing requests under one tag exactly as a fresh in-process run of each', async () => {
    const client = newClient(`127.0.0.1:${server.port}`);
    const random = prng(16);
    let req = storageRequest('standard');
    try {
      for (let step = 0; step < 40; step++) {
        const change = changes[Math.floor(random() * changes.length)] ?? changes[0];
        req = { ...(change as (typeof changes)[number])(req, random), meta: { capabilities: [], tag: TAG } };
        const served = await call(client, req);
        const fresh = runFunction(structuredClone(req), { ttlSeconds: 60 }).response;
        expect(responseBytes(served).equals(responseBytes(fresh)), `step ${step}`).toBe(true);
      }
    } finally {
      client.close();
    }
  });
});
