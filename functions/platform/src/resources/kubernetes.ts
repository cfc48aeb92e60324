import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { AccessMode } from '../schema/fields.js';
import { API_GROUP, type XrIdentity } from '../composite.js';

/** Labels every object this package composes carries, so a reader can find its owner. */
export function ownerLabels(xr: XrIdentity): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'crossplane',
    'app.kubernetes.io/part-of': 'catalyst-forge',
    [`${API_GROUP}/${xr.kind.toLowerCase()}`]: xr.name,
  };
}

/** Props of {@link persistentVolumeClaim}. */
export interface PersistentVolumeClaimProps {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  storageClassName: string;
  accessMode: AccessMode;
  /** Requested size, e.g. `20Gi`. */
  size: string;
}

/**
 * A PersistentVolumeClaim with one access mode. Only the fields the platform
 * has an opinion on are set; volumeMode stays the API default (Filesystem).
 */
export function persistentVolumeClaim(props: PersistentVolumeClaimProps): IPersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
    spec: {
      accessModes: [props.accessMode],
      storageClassName: props.storageClassName,
      resources: { requests: { storage: props.size } },
    },
  };
}
