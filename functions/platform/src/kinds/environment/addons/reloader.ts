import { featureOn, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

/**
 * Reloader (config `features.reloader`): rolls workloads whose ConfigMaps or
 * Secrets changed, only where they opt in by annotation (External Secrets
 * rotates database credentials; pods must pick them up). Prod runs two
 * replicas with leader election and a PodDisruptionBudget.
 */
export const reloader: AddonDefinition = {
  name: 'reloader',
  chart: { repository: 'https://stakater.github.io/stakater-charts', chart: 'reloader', version: '2.2.16' },
  features: { reloader: { default: true, description: 'Reloader: rolls workloads when their ConfigMaps or Secrets change.' } },
  enabled: (ctx) => featureOn(ctx, 'reloader'),
  release(ctx) {
    const ha = highlyAvailable(ctx, 'reloader');
    return {
      chart: 'reloader',
      namespace: 'reloader',
      values: {
        reloader: {
          watchGlobally: true,
          autoReloadAll: false,
          reloadStrategy: 'annotations',
          enableHA: ha,
          ...(ha ? { podDisruptionBudget: { enabled: true, minAvailable: 1 } } : {}),
          deployment: {
            replicas: replicasOf(ctx, 'reloader'),
            tolerations: [CRITICAL_ADDONS_TOLERATION],
            nodeSelector: SYSTEM_NODE_SELECTOR,
            resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '256Mi' } },
          },
        },
      },
    };
  },
};
