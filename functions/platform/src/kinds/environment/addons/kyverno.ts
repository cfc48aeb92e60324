import { CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

/**
 * Kyverno (config `features.kyverno`): admission policies. Its admission
 * webhook sits in front of every API write, so prod runs three admission
 * replicas (Kyverno's HA guidance: an odd number for its leader election)
 * with PodDisruptionBudgets; each controller runs on the system nodes.
 */
export const kyverno: AddonDefinition = {
  name: 'kyverno',
  enabled: (ctx) => ctx.config.features.kyverno,
  release(ctx) {
    const ha = highlyAvailable(ctx, 'kyverno');
    const replicas = replicasOf(ctx, 'kyverno');
    const controller = (count: number) => ({
      replicas: count,
      tolerations: [CRITICAL_ADDONS_TOLERATION],
      nodeSelector: SYSTEM_NODE_SELECTOR,
      podDisruptionBudget: { enabled: ha, minAvailable: 1 },
    });
    return {
      chart: 'kyverno',
      namespace: 'kyverno',
      values: {
        admissionController: {
          ...controller(ha ? Math.max(3, replicas) : 1),
          container: { resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '384Mi' } } },
        },
        backgroundController: { ...controller(replicas), resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } },
        cleanupController: { ...controller(replicas), resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } },
        reportsController: { ...controller(replicas), resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } } },
      },
    };
  },
};
