import { highlyAvailable, type AddonDefinition } from './addon.js';
import type { EnvironmentContext } from '../context.js';
import { prometheusOperatorRuns, scrapeAnnotations, scrapedThrough } from './monitors.js';

/** Namespace of the platform's NATS; the KEDA example and project workers reach it as `nats.nats.svc`. */
export const NATS_NAMESPACE = 'nats';

/** Port of the NATS monitoring endpoint (`/jsz`), which KEDA's nats-jetstream scaler reads. */
export const NATS_MONITOR_PORT = 8222;

/** Port of the exporter sidecar's Prometheus endpoint (the chart's promExporter.port). */
const EXPORTER_PORT = 7777;

/** JetStream needs a quorum of three servers to keep replicated (R3) streams through the loss of one. */
const JETSTREAM_QUORUM = 3;

/** Whether this environment carries the shared platform services (NATS, Argo Workflows, central Argo CD). */
export function isPlatformEnvironment(ctx: EnvironmentContext): boolean {
  return ctx.spec.role === 'platform';
}

/**
 * NATS with JetStream, the platform's message and work queue. A single
 * server outside prod; in prod a three-server cluster (JetStream Raft needs
 * a quorum), a PodDisruptionBudget and servers spread across zones. Streams
 * live on the `fast` StorageClass. Data plane, not a controller: it runs on
 * the general Karpenter nodes rather than the tainted system nodes.
 */
export const nats: AddonDefinition = {
  name: 'nats',
  chart: { repository: 'https://nats-io.github.io/k8s/helm/charts/', chart: 'nats', version: '2.14.2' },
  enabled: isPlatformEnvironment,
  // Its PodMonitor needs the Prometheus Operator's CRDs where it renders one.
  dependsOn: ['kube-prometheus-stack'],
  release(ctx) {
    const ha = highlyAvailable(ctx, 'nats');
    const prod = ctx.config.protection.retainStatefulResources;
    return {
      chart: 'nats',
      namespace: NATS_NAMESPACE,
      releaseName: 'nats',
      values: {
        config: {
          cluster: ha ? { enabled: true, replicas: Math.max(JETSTREAM_QUORUM, ctx.config.addons.nats?.replicas ?? JETSTREAM_QUORUM) } : { enabled: false },
          jetstream: {
            enabled: true,
            fileStore: { enabled: true, pvc: { enabled: true, size: prod ? '50Gi' : '10Gi', storageClassName: ctx.config.storageClasses.fast.name } },
            memoryStore: { enabled: false },
          },
          monitor: { enabled: true, port: NATS_MONITOR_PORT },
        },
        container: { merge: { resources: { requests: { cpu: prod ? '500m' : '100m', memory: prod ? '2Gi' : '512Mi' }, limits: { memory: prod ? '4Gi' : '1Gi' } } } },
        // KEDA's scaler reads consumer lag from the monitoring port through the Service.
        service: { ports: { monitor: { enabled: true } } },
        // The exporter sidecar turns /jsz into Prometheus series (consumer lag, ack pending, redeliveries) for the pipeline dashboard.
        // Scraped through its PodMonitor where the Prometheus Operator runs, else by Alloy from the annotated pods.
        promExporter: { enabled: true, port: EXPORTER_PORT, podMonitor: { enabled: prometheusOperatorRuns(ctx) } },
        podDisruptionBudget: { enabled: ha },
        podTemplate: {
          topologySpreadConstraints: { 'topology.kubernetes.io/zone': { maxSkew: 1, whenUnsatisfiable: ha ? 'DoNotSchedule' : 'ScheduleAnyway' } },
          ...(scrapedThrough(ctx) === 'annotations' ? { merge: { metadata: { annotations: scrapeAnnotations(EXPORTER_PORT) } } } : {}),
        },
        // nats-box is an operator's shell; keep it out of prod.
        natsBox: { enabled: !prod },
      },
    };
  },
};
