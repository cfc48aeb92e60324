import { featureOn, CRITICAL_ADDONS_TOLERATION, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

/**
 * Goldilocks (config `features.goldilocks`): right-sizing advice from the
 * Vertical Pod Autoscaler's recommender, shown on a dashboard. The chart's
 * VPA subchart supplies the recommender only (no updater, nothing is
 * resized behind Karpenter's back); namespaces opt in by label. It reads
 * the metrics API, so it is useful with `features.metricsServer`.
 * Advisory, not on any request path: one replica everywhere.
 */
export const goldilocks: AddonDefinition = {
  name: 'goldilocks',
  chart: { repository: 'https://charts.fairwinds.com/stable', chart: 'goldilocks', version: '11.0.0' },
  features: { goldilocks: { default: false, description: 'Goldilocks right-sizing advice.' } },
  enabled: (ctx) => featureOn(ctx, 'goldilocks'),
  release() {
    const placement = { tolerations: [CRITICAL_ADDONS_TOLERATION], nodeSelector: SYSTEM_NODE_SELECTOR };
    return {
      chart: 'goldilocks',
      namespace: 'goldilocks',
      values: {
        vpa: { enabled: true, updater: { enabled: false }, admissionController: { enabled: false }, recommender: { enabled: true, ...placement } },
        'metrics-server': { enabled: false },
        controller: {
          enabled: true,
          ...placement,
          resources: { requests: { cpu: '25m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        },
        dashboard: {
          enabled: true,
          replicaCount: 1,
          ...placement,
          resources: { requests: { cpu: '25m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        },
      },
    };
  },
};
