import type { ONPREM_STORAGE_OPERATORS } from '../../../environment-config/onprem-config.js';
import type { EnvironmentContext } from '../context.js';
import type { AddonDefinition } from './addon.js';

type StorageOperator = (typeof ONPREM_STORAGE_OPERATORS)[number];

/** On-prem only, and only when the config's `onprem.storage.install` lists the operator. */
function installs(operator: StorageOperator) {
  return (ctx: EnvironmentContext): boolean => ctx.onpremConfig?.storage.install.includes(operator) ?? false;
}

/**
 * Longhorn (on-prem): replicated block storage behind the `standard` class of
 * environment-configs/onprem.yaml (`driver.longhorn.io`). Its manager and CSI
 * plugin run on every node that holds data, so no system-node placement.
 * The platform composes the StorageClasses itself; the chart's own class
 * must not compete for the default.
 */
export const longhorn: AddonDefinition = {
  name: 'longhorn',
  chart: { repository: 'https://charts.longhorn.io', chart: 'longhorn', version: '1.12.1' },
  enabled: installs('longhorn'),
  release: () => ({
    chart: 'longhorn',
    // Longhorn's components expect this namespace.
    namespace: 'longhorn-system',
    values: {
      persistence: { defaultClass: false, reclaimPolicy: 'Retain' },
    },
  }),
};

/**
 * OpenEBS (on-prem): the LVM LocalPV engine behind the `fast` class
 * (`local.csi.openebs.io` on the `lvmvg` volume group every storage node must
 * have). ZFS and the replicated Mayastor engine stay off: nothing maps to them.
 */
export const openebs: AddonDefinition = {
  name: 'openebs',
  chart: { repository: 'https://openebs.github.io/openebs', chart: 'openebs', version: '4.2.0' },
  enabled: installs('openebs'),
  release: () => ({
    chart: 'openebs',
    namespace: 'openebs',
    values: {
      engines: { local: { lvm: { enabled: true }, zfs: { enabled: false } }, replicated: { mayastor: { enabled: false } } },
      // An existing cluster may already own the VolumeSnapshot CRDs (its CSI drivers ship them); Helm refuses to adopt them.
      'openebs-crds': { csi: { volumeSnapshots: { enabled: false } } },
    },
  }),
};
