import { FatalError } from '../../../errors.js';
import type { EnvironmentContext } from '../context.js';
import { MONITORING_NAMESPACE } from './onprem-secrets.js';

/** `data.observability.mode`: where metrics, logs and traces go (docs/addons/core.md, Observability). */
export type ObservabilityMode = 'grafana-cloud' | 'in-cluster' | 'aws-managed';

/**
 * The environment's mode. AWS-managed needs AWS (the Prometheus workspace
 * and the logs bucket), and Grafana Cloud needs its endpoints: both are
 * refused here rather than composing a pipeline that ends nowhere.
 */
export function observabilityMode(ctx: EnvironmentContext): ObservabilityMode {
  const { mode, grafanaCloud } = ctx.config.observability;
  if (mode === 'aws-managed' && ctx.provider !== 'aws') {
    throw new FatalError('cannot use data.observability.mode aws-managed on-prem: it needs Amazon Managed Prometheus and an S3 bucket; set mode: in-cluster in the on-prem EnvironmentConfig');
  }
  if (mode === 'grafana-cloud' && grafanaCloud === undefined) {
    throw new FatalError('cannot use data.observability.mode grafana-cloud without data.observability.grafanaCloud: set its prometheusUrl, lokiUrl, tracesEndpoint and credentialsSecret, or choose mode in-cluster');
  }
  return mode;
}

/** Whether Loki, Tempo and Grafana run in the cluster (every mode but Grafana Cloud). */
export function storesInCluster(ctx: EnvironmentContext): boolean {
  return observabilityMode(ctx) !== 'grafana-cloud';
}

/** Whether the in-cluster Prometheus (kube-prometheus-stack, with its Grafana) runs. */
export function prometheusInCluster(ctx: EnvironmentContext): boolean {
  return observabilityMode(ctx) === 'in-cluster';
}

/** Whether metrics go to the environment's Amazon Managed Prometheus workspace. */
export function awsManaged(ctx: EnvironmentContext): boolean {
  return observabilityMode(ctx) === 'aws-managed';
}

/** The in-cluster services the pipelines and data sources point at (release names fix the Service names). */
export const IN_CLUSTER_SERVICES = {
  /** kube-prometheus-stack's Prometheus: queries, and its remote-write receiver. */
  prometheus: `http://kube-prometheus-stack-prometheus.${MONITORING_NAMESPACE}.svc:9090`,
  /** Loki (single binary): queries, and its push API. */
  loki: `http://loki.${MONITORING_NAMESPACE}.svc:3100`,
  /** Tempo's query API (release `tempo`, port 3200). */
  tempoQuery: `http://tempo.${MONITORING_NAMESPACE}.svc:3200`,
  /** Tempo's OTLP gRPC receiver, where Alloy forwards spans. */
  tempoOtlp: `tempo.${MONITORING_NAMESPACE}.svc:4317`,
} as const;

/** Alloy's OTLP receivers for workloads, the mesh and the gateways (release `alloy` in namespace `alloy`). */
export const OTLP_RECEIVER = { host: 'alloy.alloy.svc.cluster.local', service: 'alloy', namespace: 'alloy', grpcPort: 4317, httpPort: 4318 } as const;

/** The share of requests traced, from `data.observability.tracing.samplingPercent`. */
export function samplingPercent(ctx: EnvironmentContext): number {
  return ctx.config.observability.tracing.samplingPercent;
}
