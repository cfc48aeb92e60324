import { FatalError } from '../../errors.js';
import { platformEnvironmentLayers, platformEnvironmentRequirement, platformEnvironmentSchema, type PlatformEnvironment } from '../../environment-config/platform-environment.js';
import type { StorageClassMapping } from '../../environment-config/storage-classes.js';
import { ownerLabels, persistentVolumeClaim } from '../../resources/kubernetes.js';
import { quantityToBytes } from '../../resources/quantity.js';
import type { Composed, KindDefinition } from '../kind.js';
import type { ObservedResources } from '../../composite.js';
import { storageSpecSchema, storageStatusSchema, type StorageSpec } from './schema.js';

/** Composition-resource name of the claim. Never change it: a rename deletes the volume. */
export const CLAIM_RESOURCE = 'claim';

function bytes(size: string): bigint {
  const value = quantityToBytes(size);
  if (value === undefined) throw new FatalError(`cannot read size "${size}"`);
  return value;
}

/** Refuses what the class's backend cannot provision. */
function checkAgainstClass(spec: StorageSpec, mapping: StorageClassMapping): void {
  if (!mapping.accessModes.includes(spec.accessMode)) {
    throw new FatalError(
      `spec.accessMode: class "${spec.class}" (StorageClass "${mapping.name}", ${mapping.provisioner}) cannot serve ${spec.accessMode}; it serves ${mapping.accessModes.join(', ')}`,
    );
  }
  if (mapping.minSize !== undefined && bytes(spec.size) < bytes(mapping.minSize)) {
    throw new FatalError(`spec.size: ${spec.size} is below the ${mapping.minSize} minimum of class "${spec.class}"`);
  }
  if (mapping.maxSize !== undefined && bytes(spec.size) > bytes(mapping.maxSize)) {
    throw new FatalError(`spec.size: ${spec.size} is above the ${mapping.maxSize} maximum of class "${spec.class}"`);
  }
}

interface ObservedClaim {
  storageClassName?: string;
  accessModes?: string[];
  requested?: string;
  phase?: string;
  capacity?: string;
}

function readObservedClaim(observed: ObservedResources): ObservedClaim | undefined {
  const claim = observed[CLAIM_RESOURCE];
  if (claim === undefined) return undefined;
  const spec = (claim.spec ?? {}) as { storageClassName?: string; accessModes?: string[]; resources?: { requests?: { storage?: string } } };
  const status = (claim.status ?? {}) as { phase?: string; capacity?: { storage?: string } };
  return {
    storageClassName: spec.storageClassName,
    accessModes: spec.accessModes,
    requested: spec.resources?.requests?.storage,
    phase: status.phase,
    capacity: status.capacity?.storage,
  };
}

/**
 * Refuses changes Kubernetes would reject or that lose data: a claim's class and
 * access modes are immutable, and a claim never shrinks. Saying so here gives
 * the user a message on the XR instead of an endless apply error.
 */
function checkAgainstObserved(spec: StorageSpec, mapping: StorageClassMapping, claim: ObservedClaim): void {
  if (claim.storageClassName !== undefined && claim.storageClassName !== mapping.name) {
    throw new FatalError(
      `spec.class: cannot move the claim from StorageClass "${claim.storageClassName}" to "${mapping.name}": a claim's class is immutable; create a new Storage and copy the data`,
    );
  }
  if (claim.accessModes !== undefined && !(claim.accessModes.length === 1 && claim.accessModes[0] === spec.accessMode)) {
    throw new FatalError(`spec.accessMode: cannot change the claim's access mode from ${claim.accessModes.join(', ')} to ${spec.accessMode}: it is immutable`);
  }
  if (claim.requested !== undefined) {
    const current = quantityToBytes(claim.requested);
    const wanted = bytes(spec.size);
    if (current !== undefined && wanted < current) {
      throw new FatalError(`spec.size: cannot shrink the claim from ${claim.requested} to ${spec.size}: volumes only grow`);
    }
    if (current !== undefined && wanted > current && !mapping.allowVolumeExpansion) {
      throw new FatalError(`spec.size: cannot grow the claim from ${claim.requested} to ${spec.size}: StorageClass "${mapping.name}" does not allow expansion`);
    }
  }
}

/**
 * A claim counts as ready once bound, or once it exists on a class that binds
 * on first use (such a claim stays Pending until a pod mounts it, by design).
 */
function isReady(claim: ObservedClaim | undefined, mapping: StorageClassMapping): boolean {
  if (claim === undefined) return false;
  if (claim.phase === 'Bound') return true;
  return claim.phase === 'Pending' && mapping.volumeBindingMode === 'WaitForFirstConsumer';
}

/** Storage: a PersistentVolumeClaim on the StorageClass the environment maps the class to. */
export const storageKind: KindDefinition<StorageSpec, PlatformEnvironment> = {
  kind: 'Storage',
  plural: 'storages',
  description: 'A persistent volume for a project: a PersistentVolumeClaim on the environment StorageClass for its class.',
  categories: ['platform', 'catalyst-forge'],
  printerColumns: [
    { name: 'CLASS', type: 'string', jsonPath: '.spec.class' },
    { name: 'SIZE', type: 'string', jsonPath: '.spec.size' },
    { name: 'CLAIM', type: 'string', jsonPath: '.status.claimName' },
    { name: 'PHASE', type: 'string', jsonPath: '.status.phase' },
  ],
  spec: storageSpecSchema,
  status: storageStatusSchema,

  requirements: [platformEnvironmentRequirement],
  config: () => ({ layers: platformEnvironmentLayers, schema: platformEnvironmentSchema }),

  compose({ xr, spec, config, observed }): Composed {
    if (config.storageClasses === undefined) {
      throw new FatalError('cannot map the storage class: EnvironmentConfig "platform-environment" has no data.storageClasses');
    }
    const mapping = config.storageClasses[spec.class];
    checkAgainstClass(spec, mapping);
    const claim = readObservedClaim(observed);
    if (claim !== undefined) checkAgainstObserved(spec, mapping, claim);

    const pvc = persistentVolumeClaim({
      name: xr.name,
      namespace: xr.namespace,
      labels: { ...ownerLabels(xr), 'platform.projectcatalyst.io/storage-class': spec.class },
      storageClassName: mapping.name,
      accessMode: spec.accessMode,
      size: spec.size,
    });

    const status: Record<string, unknown> = { claimName: xr.name, storageClassName: mapping.name };
    if (claim?.phase !== undefined) status.phase = claim.phase;
    if (claim?.capacity !== undefined) status.capacity = claim.capacity;

    return {
      resources: { [CLAIM_RESOURCE]: { resource: pvc as unknown as Record<string, unknown>, ready: isReady(claim, mapping) } },
      status,
    };
  },
};
