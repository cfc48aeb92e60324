import type { EnvironmentContext } from '../context.js';

/**
 * Whether the cluster runs the Prometheus Operator (kube-prometheus-stack,
 * in-cluster mode), so a chart may render its ServiceMonitor or PodMonitor:
 * their CRDs exist only there, and Helm fails on a kind the API server lacks.
 * A chart that renders one depends on `kube-prometheus-stack`, which is
 * waited for only where it is installed.
 */
export function prometheusOperatorRuns(ctx: EnvironmentContext): boolean {
  return ctx.config.observability.mode === 'in-cluster';
}
