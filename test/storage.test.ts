import { describe, expect, it } from 'vitest';
import { Ready, Severity, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { composedResponse as composed, fatalResponse, tableTests, type TableCase , MISSING_PLATFORM_ENVIRONMENT } from './helpers/responses.js';
import {
  PLATFORM_ENVIRONMENT_REQUIREMENT,
  platformEnvironment,
  request,
  storageXr,
  withPlatformEnvironment,
  type JsonObject,
} from './helpers/requests.js';


/** The claim a Storage named data in forge-api composes. */
function claim(storageClassName: string, size: string, accessMode = 'ReadWriteOnce', className = storageClassName): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      labels: {
        'app.kubernetes.io/managed-by': 'crossplane',
        'app.kubernetes.io/part-of': 'catalyst-forge',
        'platform.projectcatalyst.io/storage': 'data',
        'platform.projectcatalyst.io/storage-class': className,
      },
      name: 'data',
      namespace: 'forge-api',
    },
    spec: { accessModes: [accessMode], resources: { requests: { storage: size } }, storageClassName },
  };
}

function observedClaim(storageClassName: string, size: string, phase: string, accessMode = 'ReadWriteOnce'): JsonObject {
  return {
    ...claim(storageClassName, size, accessMode),
    metadata: { name: 'data', namespace: 'forge-api', uid: 'c0ffee', resourceVersion: '42', annotations: { 'crossplane.io/composition-resource-name': 'claim' } },
    status: { phase, ...(phase === 'Bound' ? { capacity: { storage: size } } : {}) },
  };
}

function composedResponse(claimObject: JsonObject, ready: Ready, status: JsonObject): RunFunctionResponse {
  return composed('Storage', { claim: { resource: claimObject, ready } }, status);
}

function withStorageClasses(mutate: (classes: Record<string, JsonObject>) => void): JsonObject {
  const config = structuredClone(platformEnvironment());
  mutate((config.data as { storageClasses: Record<string, JsonObject> }).storageClasses);
  return config;
}

const FATAL_WITHOUT_CONFIG = fatalResponse(`cannot compose Storage forge-api/data: ${MISSING_PLATFORM_ENVIRONMENT}`);

const cases: Record<string, TableCase> = {
  WithoutPlatformEnvironmentIsFatal: {
    reason: 'A Composition that does not have Crossplane fetch platform-environment is refused, naming what to install; the function never asks for it itself.',
    req: request(storageXr({ size: '10Gi' })),
    want: FATAL_WITHOUT_CONFIG,
  },
  ComposesClaimWithDefaults: {
    reason: 'class and accessMode default to standard and ReadWriteOnce; the claim is not ready until observed.',
    req: request(storageXr({ size: '10Gi' }), { required: withPlatformEnvironment() }),
    want: composedResponse(claim('standard', '10Gi'), Ready.READY_FALSE, { claimName: 'data', storageClassName: 'standard' }),
  },
  MapsClassToEnvironmentStorageClass: {
    reason: 'The StorageClass name comes from the environment mapping, not from the class key.',
    req: request(storageXr({ class: 'fast', size: '20Gi' }), {
      required: withPlatformEnvironment(withStorageClasses((c) => ((c.fast as JsonObject).name = 'ebs-io2'))),
    }),
    want: composedResponse(claim('ebs-io2', '20Gi', 'ReadWriteOnce', 'fast'), Ready.READY_FALSE, { claimName: 'data', storageClassName: 'ebs-io2' }),
  },
  BoundClaimIsReady: {
    reason: 'A bound claim is ready and its phase and capacity reach the status.',
    req: request(storageXr({ size: '10Gi' }), { required: withPlatformEnvironment(), observed: { claim: observedClaim('standard', '10Gi', 'Bound') } }),
    want: composedResponse(claim('standard', '10Gi'), Ready.READY_TRUE, { claimName: 'data', storageClassName: 'standard', phase: 'Bound', capacity: '10Gi' }),
  },
  PendingWaitForFirstConsumerIsReady: {
    reason: 'A claim on a WaitForFirstConsumer class binds when a pod mounts it, so Pending is ready.',
    req: request(storageXr({ size: '10Gi' }), { required: withPlatformEnvironment(), observed: { claim: observedClaim('standard', '10Gi', 'Pending') } }),
    want: composedResponse(claim('standard', '10Gi'), Ready.READY_TRUE, { claimName: 'data', storageClassName: 'standard', phase: 'Pending' }),
  },
  PendingImmediateIsNotReady: {
    reason: 'On an Immediate class a Pending claim is still waiting for a volume.',
    req: request(storageXr({ size: '10Gi' }), {
      required: withPlatformEnvironment(withStorageClasses((c) => ((c.standard as JsonObject).volumeBindingMode = 'Immediate'))),
      observed: { claim: observedClaim('standard', '10Gi', 'Pending') },
    }),
    want: composedResponse(claim('standard', '10Gi'), Ready.READY_FALSE, { claimName: 'data', storageClassName: 'standard', phase: 'Pending' }),
  },
  GrowsClaim: {
    reason: 'A larger size on an expandable class is an in-place update of the claim.',
    req: request(storageXr({ size: '20Gi' }), { required: withPlatformEnvironment(), observed: { claim: observedClaim('standard', '10Gi', 'Bound') } }),
    want: composedResponse(claim('standard', '20Gi'), Ready.READY_TRUE, { claimName: 'data', storageClassName: 'standard', phase: 'Bound', capacity: '10Gi' }),
  },
  MissingConfig: {
    reason: 'Crossplane found no platform-environment: a Fatal naming it, never a default.',
    req: request(storageXr({ size: '10Gi' }), { required: { [PLATFORM_ENVIRONMENT_REQUIREMENT]: [] } }),
    want: fatalResponse('cannot compose Storage forge-api/data: cannot find EnvironmentConfig "platform-environment": it is required and does not exist'),
  },
  BadConfigData: {
    reason: 'Bad config data names the config and the field.',
    req: request(storageXr({ size: '10Gi' }), {
      required: withPlatformEnvironment(withStorageClasses((c) => ((c.fast as JsonObject).accessModes = ['ReadWriteSometimes']))),
    }),
    want: fatalResponse(
      'cannot compose Storage forge-api/data: cannot use EnvironmentConfig "platform-environment": data.storageClasses.fast.accessModes[0]: must be one of "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"',
    ),
  },
  ConfigWithoutStorageClasses: {
    reason: 'A platform-environment without a storage class mapping cannot serve Storage.',
    req: request(storageXr({ size: '10Gi' }), {
      required: withPlatformEnvironment({ apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', metadata: { name: 'platform-environment' }, data: { environment: 'dev' } }),
    }),
    want: fatalResponse('cannot compose Storage forge-api/data: cannot map the storage class: EnvironmentConfig "platform-environment" has no data.storageClasses'),
  },
  MissingSize: {
    reason: 'size is required.',
    req: request(storageXr({ class: 'fast' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('cannot compose Storage forge-api/data: spec.size: required field is missing'),
  },
  SizeOfWrongType: {
    reason: 'A number where a quantity string belongs is named by path, with an example of a quantity.',
    req: request(storageXr({ size: 20 }), { required: withPlatformEnvironment() }),
    want: fatalResponse('cannot compose Storage forge-api/data: spec.size: expected a size such as 512Mi, 20Gi or 2Ti (a whole number of Mi, Gi or Ti), got a number'),
  },
  OversizedSize: {
    reason: 'An oversized value is refused before anything is composed.',
    req: request(storageXr({ size: `${'9'.repeat(10_000)}Gi` }), { required: withPlatformEnvironment() }),
    want: fatalResponse(
      'cannot compose Storage forge-api/data: spec.size: too big: expected string to have <=8 characters; spec.size: must be a size such as 512Mi, 20Gi or 2Ti (a whole number of Mi, Gi or Ti)',
    ),
  },
  UnknownClass: {
    reason: 'Only fast, standard and bulk exist.',
    req: request(storageXr({ class: 'turbo', size: '10Gi' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('cannot compose Storage forge-api/data: spec.class: must be one of "fast", "standard", "bulk"'),
  },
  UnknownField: {
    reason: 'A misspelled field is an error, not silently ignored, and the nearest known field is suggested.',
    req: request(storageXr({ sise: '10Gi', size: '10Gi' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('cannot compose Storage forge-api/data: spec: unknown field "sise" (did you mean "size"?)'),
  },
  AccessModeTheClassCannotServe: {
    reason: 'EBS cannot serve ReadWriteMany; say so and list what it can.',
    req: request(storageXr({ class: 'fast', size: '20Gi', accessMode: 'ReadWriteMany' }), { required: withPlatformEnvironment() }),
    want: fatalResponse(
      'cannot compose Storage forge-api/data: spec.accessMode: class "fast" (StorageClass "fast", ebs.csi.aws.com) cannot serve ReadWriteMany; it serves ReadWriteOnce, ReadWriteOncePod',
    ),
  },
  BelowClassMinimum: {
    reason: 'sc1 volumes start at 125Gi.',
    req: request(storageXr({ class: 'bulk', size: '100Gi' }), { required: withPlatformEnvironment() }),
    want: fatalResponse('cannot compose Storage forge-api/data: spec.size: 100Gi is below the 125Gi minimum of class "bulk"'),
  },
  Shrink: {
    reason: 'Volumes never shrink; refusing keeps the claim as it is.',
    req: request(storageXr({ size: '5Gi' }), { required: withPlatformEnvironment(), observed: { claim: observedClaim('standard', '10Gi', 'Bound') } }),
    want: fatalResponse('cannot compose Storage forge-api/data: spec.size: cannot shrink the claim from 10Gi to 5Gi: volumes only grow'),
  },
  ClassChange: {
    reason: "A claim's StorageClass is immutable.",
    req: request(storageXr({ class: 'fast', size: '10Gi' }), { required: withPlatformEnvironment(), observed: { claim: observedClaim('standard', '10Gi', 'Bound') } }),
    want: fatalResponse(
      'cannot compose Storage forge-api/data: spec.class: cannot move the claim from StorageClass "standard" to "fast": a claim\'s class is immutable; create a new Storage and copy the data',
    ),
  },
  GrowWithoutExpansion: {
    reason: 'Growing on a class without expansion would fail at the API server; say why here.',
    req: request(storageXr({ size: '20Gi' }), {
      required: withPlatformEnvironment(withStorageClasses((c) => ((c.standard as JsonObject).allowVolumeExpansion = false))),
      observed: { claim: observedClaim('standard', '10Gi', 'Bound') },
    }),
    want: fatalResponse('cannot compose Storage forge-api/data: spec.size: cannot grow the claim from 10Gi to 20Gi: StorageClass "standard" does not allow expansion'),
  },
  RefusesToDropObserved: {
    reason: 'An observed resource the function no longer composes would be deleted; refuse instead.',
    req: request(storageXr({ size: '10Gi' }), {
      required: withPlatformEnvironment(),
      observed: { claim: observedClaim('standard', '10Gi', 'Bound'), 'old-claim': observedClaim('standard', '10Gi', 'Bound') },
    }),
    want: fatalResponse('cannot compose Storage forge-api/data: cannot drop observed resource "old-claim": refusing to delete what exists'),
  },
  MissingNamespace: {
    reason: 'Every kind is namespaced; an XR without a namespace is refused.',
    req: request({ ...storageXr({ size: '10Gi' }), metadata: { name: 'data' } }),
    want: fatalResponse('cannot compose: cannot read the composite resource: metadata.namespace: required field is missing'),
  },
  UnknownKind: {
    reason: 'A kind this function does not serve is a Fatal, not a crash.',
    req: request({ ...storageXr({ size: '10Gi' }), kind: 'Teapot' }),
    want: fatalResponse('cannot compose Teapot forge-api/data: kind Teapot is not served by this function'),
  },
  NoComposite: {
    reason: 'A request without an observed XR is answered with a Fatal.',
    req: { ...request(storageXr({ size: '10Gi' })), observed: undefined },
    want: fatalResponse('cannot compose: the request has no observed composite resource'),
  },
};

describe('RunFunction for Storage', () => {
  tableTests(cases);

  it('keeps what earlier pipeline steps desired', () => {
    const req = request(storageXr({ size: '10Gi' }), { required: withPlatformEnvironment() });
    const earlier = { resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED };
    req.desired = { composite: undefined, resources: { earlier } };
    const { response } = runFunction(req, { ttlSeconds: 60 });
    expect(Object.keys(response.desired?.resources ?? {}).sort()).toEqual(['claim', 'earlier']);
    expect(response.desired?.resources.earlier).toEqual(earlier);
  });

  it('answers junk in the spec with a Fatal naming a field, never an exception', () => {
    const junk: unknown[] = [null, 42, 'text', [], { size: { nested: { deeper: [1, 2, 3] } } }, { size: '１０Gi' }, { class: '\u0000', size: '1Gi' }];
    for (const spec of junk) {
      const xr = { ...storageXr({}), spec };
      const { response } = runFunction(request(xr, { required: withPlatformEnvironment() }), { ttlSeconds: 60 });
      expect(response.results).toHaveLength(1);
      expect(response.results[0]?.severity).toBe(Severity.SEVERITY_FATAL);
      expect(response.results[0]?.message).toMatch(/^cannot compose Storage forge-api\/data: spec/);
    }
  });
});
