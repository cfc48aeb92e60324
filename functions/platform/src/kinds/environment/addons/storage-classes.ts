import type { AddonDefinition } from './addon.js';

/**
 * StorageClasses `fast`, `standard` (the default) and `bulk` from the
 * EnvironmentConfig mapping, and a VolumeSnapshotClass for the CSI driver of
 * the standard class. No chart: the EBS CSI driver is an EKS add-on.
 */
export const storageClasses: AddonDefinition = {
  name: 'storage-classes',
  enabled: () => true,
  objects(ctx) {
    const objects: Record<string, Record<string, unknown>> = {};
    for (const [key, mapping] of Object.entries(ctx.config.storageClasses).sort(([a], [b]) => a.localeCompare(b))) {
      objects[key] = {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: {
          name: mapping.name,
          labels: { 'platform.projectcatalyst.io/storage-class': key },
          ...(key === 'standard' ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } : {}),
        },
        provisioner: mapping.provisioner,
        ...(mapping.parameters !== undefined ? { parameters: mapping.parameters } : {}),
        reclaimPolicy: mapping.reclaimPolicy,
        volumeBindingMode: mapping.volumeBindingMode,
        allowVolumeExpansion: mapping.allowVolumeExpansion,
      };
    }
    objects['snapshot-class'] = {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name: 'standard', annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } },
      driver: ctx.config.storageClasses.standard.provisioner,
      deletionPolicy: ctx.config.protection.retainStatefulResources ? 'Retain' : 'Delete',
    };
    return objects;
  },
};
