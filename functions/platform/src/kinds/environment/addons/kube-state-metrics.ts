import { CRITICAL_ADDONS_TOLERATION, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { prometheusInCluster } from './observability-mode.js';
import { MONITORING_NAMESPACE } from './onprem-secrets.js';

/** The pod label Alloy finds kube-state-metrics by (the chart's `app.kubernetes.io/name`), and the port of its object metrics. */
export const KUBE_STATE_METRICS = { namespace: MONITORING_NAMESPACE, name: 'kube-state-metrics', port: 8080 } as const;

/**
 * kube-state-metrics (pods, workloads, HPAs, namespaces, volumes as
 * series), where kube-prometheus-stack does not run its own: the
 * grafana-cloud and aws-managed modes. The namespace, operators and pipeline
 * dashboards read it in every mode. The same chart and version as
 * kube-prometheus-stack's dependency, with its default collectors, so the
 * series are the same in every mode. Alloy scrapes it (alloy.ts), keeping
 * its `namespace` and `pod` labels, which name the objects, not the exporter.
 */
export const kubeStateMetrics: AddonDefinition = {
  name: 'kube-state-metrics',
  chart: { repository: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-state-metrics', version: '8.4.0' },
  // Every provider: on-prem too, should an on-prem environment send its metrics to Grafana Cloud.
  enabled: (ctx) => !prometheusInCluster(ctx),
  release: () => ({
    chart: 'kube-state-metrics',
    namespace: KUBE_STATE_METRICS.namespace,
    releaseName: KUBE_STATE_METRICS.name,
    values: {
      replicas: 1,
      service: { port: KUBE_STATE_METRICS.port },
      // Alloy scrapes the pod by its label; no Service annotation for another scraper to double it.
      prometheusScrape: false,
      resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      nodeSelector: SYSTEM_NODE_SELECTOR,
      tolerations: [CRITICAL_ADDONS_TOLERATION],
    },
  }),
};
