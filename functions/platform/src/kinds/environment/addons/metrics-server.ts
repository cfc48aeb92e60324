import { featureOn, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

/**
 * metrics-server (config `features.metricsServer`): the resource metrics API
 * behind HorizontalPodAutoscalers, `kubectl top` and the VPA recommender.
 * An aggregated API: when it is down, API discovery degrades, so prod runs
 * two replicas with a PodDisruptionBudget.
 */
export const metricsServer: AddonDefinition = {
  name: 'metrics-server',
  chart: { repository: 'https://kubernetes-sigs.github.io/metrics-server/', chart: 'metrics-server', version: '3.13.1' },
  features: { metricsServer: { default: true, description: 'metrics-server: the resource metrics API.' } },
  enabled: (ctx) => featureOn(ctx, 'metricsServer'),
  release(ctx) {
    const ha = highlyAvailable(ctx, 'metrics-server');
    return {
      chart: 'metrics-server',
      namespace: 'kube-system',
      values: {
        replicas: replicasOf(ctx, 'metrics-server'),
        podDisruptionBudget: ha ? { enabled: true, minAvailable: 1 } : { enabled: false },
        tolerations: [CRITICAL_ADDONS_TOLERATION],
        nodeSelector: SYSTEM_NODE_SELECTOR,
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      },
    };
  },
};
