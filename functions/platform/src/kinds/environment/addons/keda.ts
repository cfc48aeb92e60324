import { everywhere, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { prometheusOperatorRuns, scrapeAnnotations, scrapedThrough } from './monitors.js';

/** The operator's metrics port (the chart's prometheus.operator.port). */
const OPERATOR_METRICS_PORT = 8080;

/**
 * KEDA: event-driven autoscaling of project workloads. It calls no AWS API
 * itself (scalers that need AWS get their own TriggerAuthentication), so it
 * has no identity. Operator, metrics server and webhooks run on the system
 * nodes; in prod each runs twice behind a PodDisruptionBudget.
 */
export const keda: AddonDefinition = {
  name: 'keda',
  chart: { repository: 'https://kedacore.github.io/charts', chart: 'keda', version: '2.20.2' },
  enabled: everywhere,
  // Its ServiceMonitor needs the Prometheus Operator's CRDs where it renders one.
  dependsOn: ['kube-prometheus-stack'],
  release(ctx) {
    const replicas = replicasOf(ctx, 'keda');
    const pdb = { minAvailable: 1 };
    return {
      chart: 'keda',
      namespace: 'keda',
      values: {
        operator: { replicaCount: replicas },
        metricsServer: { replicaCount: replicas },
        webhooks: { enabled: true, replicaCount: replicas },
        // The operator's scaler and reconcile metrics for the pipeline and operators dashboards: through its
        // ServiceMonitor where the Prometheus Operator runs, else Alloy scrapes the annotated pod (monitors.ts).
        prometheus: { operator: { enabled: true, port: OPERATOR_METRICS_PORT, serviceMonitor: { enabled: prometheusOperatorRuns(ctx) } } },
        ...(scrapedThrough(ctx) === 'annotations' ? { podAnnotations: { keda: scrapeAnnotations(OPERATOR_METRICS_PORT) } } : {}),
        ...(highlyAvailable(ctx, 'keda') ? { podDisruptionBudget: { operator: pdb, metricServer: pdb, webhooks: pdb } } : {}),
        resources: {
          operator: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
          metricServer: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
          webhooks: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        },
        nodeSelector: SYSTEM_NODE_SELECTOR,
        tolerations: [CRITICAL_ADDONS_TOLERATION],
      },
    };
  },
};
