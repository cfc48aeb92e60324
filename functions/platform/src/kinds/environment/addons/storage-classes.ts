import { everywhere, type AddonDefinition } from './addon.js';

/**
 * StorageClasses `fast`, `standard` (the default) and `bulk` from the
 * EnvironmentConfig mapping, and on AWS a VolumeSnapshotClass for the CSI
 * driver of the standard class. No chart: the EBS CSI driver is an EKS
 * add-on; on-prem the drivers come from the storage operators (longhorn,
 * openebs add-ons) or were installed with the cluster (Ceph). On-prem has no
 * snapshot class: the snapshot CRDs and controller are not a given on an
 * existing cluster, and nothing here takes snapshots there (Velero is AWS only).
 */
export const storageClasses: AddonDefinition = {
  name: 'storage-classes',
  enabled: everywhere,
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
    if (ctx.provider !== 'aws') return objects;
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
