import type { EnvironmentContext } from '../context.js';

/**
 * Whether the cluster runs the Prometheus Operator (kube-prometheus-stack,
 * in-cluster mode), so a chart may render its ServiceMonitor or PodMonitor:
 * their CRDs exist only there, and Helm fails on a kind the API server lacks.
 * A chart that renders one depends on `kube-prometheus-stack`, which is
 * waited for only where it is installed. Reads the mode itself rather than
 * through observability-mode.ts, which external-secrets.ts (importing this)
 * must not reach: onprem-secrets.ts imports external-secrets.ts, and
 * observability-mode.ts reads onprem-secrets.ts's namespace when loaded.
 */
export function prometheusOperatorRuns(ctx: EnvironmentContext): boolean {
  return ctx.config.observability.mode === 'in-cluster';
}

/**
 * The pod annotations Alloy scrapes by (alloy.ts): `prometheus.io/scrape`,
 * the port on the pod's IP and, where it is not `/metrics`, the path.
 */
export function scrapeAnnotations(port: number, path?: string): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), ...(path !== undefined ? { 'prometheus.io/path': path } : {}) };
}

/**
 * How a component whose chart can render a monitor gets scraped: by the
 * in-cluster Prometheus through the monitor where the Prometheus Operator
 * runs, else by Alloy through pod annotations. Never both: Alloy writes to
 * that same Prometheus, and a pod scraped twice would count twice.
 */
export function scrapedThrough(ctx: EnvironmentContext): 'monitor' | 'annotations' {
  return prometheusOperatorRuns(ctx) ? 'monitor' : 'annotations';
}
