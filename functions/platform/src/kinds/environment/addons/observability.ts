import type { PolicyStatement } from '../../../resources/aws/iam-policy.js';
import { bucketName } from '../buckets.js';
import type { EnvironmentContext } from '../context.js';
import { CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

/** Namespace of the in-cluster observability stack; Alloy's in-cluster endpoints point here. */
export const MONITORING_NAMESPACE = 'monitoring';

const LOKI_SERVICE_ACCOUNT = { namespace: MONITORING_NAMESPACE, name: 'loki' };

/** Where Loki keeps chunks and indexes: a prefix of the environment's encrypted, versioned logs bucket. */
const LOKI_PREFIX = 'loki/';

function inCluster(ctx: EnvironmentContext): boolean {
  return ctx.config.observability.mode === 'in-cluster';
}

const placement = { nodeSelector: SYSTEM_NODE_SELECTOR, tolerations: [CRITICAL_ADDONS_TOLERATION] };

/**
 * Prometheus (with its remote-write receiver, which Alloy writes to),
 * Alertmanager, Grafana and the exporters, when observability stays in the
 * cluster. Prometheus keeps its data on a `standard` volume.
 */
export const kubePrometheusStack: AddonDefinition = {
  name: 'kube-prometheus-stack',
  enabled: inCluster,
  // Prometheus claims a volume on the standard class.
  waitFor: ['object-storage-classes-standard'],
  release(ctx) {
    const replicas = replicasOf(ctx, 'kube-prometheus-stack');
    return {
      chart: 'kube-prometheus-stack',
      namespace: MONITORING_NAMESPACE,
      values: {
        crds: { enabled: true },
        prometheusOperator: { ...placement, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } } },
        prometheus: {
          prometheusSpec: {
            replicas,
            enableRemoteWriteReceiver: true,
            retention: ctx.config.protection.retainStatefulResources ? '30d' : '10d',
            // Scrape every ServiceMonitor and PodMonitor, not only the chart's own.
            serviceMonitorSelectorNilUsesHelmValues: false,
            podMonitorSelectorNilUsesHelmValues: false,
            ruleSelectorNilUsesHelmValues: false,
            storageSpec: {
              volumeClaimTemplate: { spec: { storageClassName: ctx.config.storageClasses.standard.name, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } } },
            },
            resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { memory: '4Gi' } },
            ...placement,
          },
        },
        alertmanager: { alertmanagerSpec: { replicas, ...placement } },
        grafana: { enabled: true, ...placement },
      },
    };
  },
};

/**
 * Loki, one binary, keeping logs in the environment's logs bucket through its
 * own role (that bucket only). Single-tenant: Alloy pushes without a tenant id.
 */
export const loki: AddonDefinition = {
  name: 'loki',
  enabled: inCluster,
  identity: {
    serviceAccount: LOKI_SERVICE_ACCOUNT,
    statements(ctx): PolicyStatement[] {
      const bucketArn = `arn:aws:s3:::${bucketName(ctx, 'logs')}`;
      return [
        { Sid: 'ListLokiPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': [`${LOKI_PREFIX}*`] } } },
        { Sid: 'ReadWriteLokiObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: `${bucketArn}/${LOKI_PREFIX}*` },
        {
          Sid: 'UseEnvironmentKey',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: ctx.arn('kms', 'key/*'),
          Condition: { StringEquals: { 'aws:ResourceTag/environment': ctx.environment, 'kms:ViaService': `s3.${ctx.region}.amazonaws.com` } },
        },
      ];
    },
  },
  release(ctx) {
    const bucket = bucketName(ctx, 'logs');
    return {
      chart: 'loki',
      namespace: MONITORING_NAMESPACE,
      values: {
        deploymentMode: 'SingleBinary',
        serviceAccount: { create: true, name: LOKI_SERVICE_ACCOUNT.name },
        loki: {
          auth_enabled: false,
          commonConfig: { replication_factor: 1, path_prefix: '/var/loki' },
          schemaConfig: {
            configs: [{ from: '2024-04-01', store: 'tsdb', object_store: 's3', schema: 'v13', index: { prefix: 'loki_index_', period: '24h' } }],
          },
          storage: { type: 's3', bucketNames: { chunks: bucket, ruler: bucket, admin: bucket }, s3: { region: ctx.region } },
          storage_config: { aws: { bucketnames: bucket, region: ctx.region }, tsdb_shipper: { active_index_directory: '/var/loki/index', cache_location: '/var/loki/cache' } },
          limits_config: { retention_period: `${ctx.config.buckets.logRetentionDays * 24}h` },
          compactor: { retention_enabled: true, delete_request_store: 's3', working_directory: '/var/loki/compactor' },
        },
        singleBinary: {
          replicas: 1,
          persistence: { storageClass: ctx.config.storageClasses.standard.name, size: '20Gi' },
          resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } },
          ...placement,
        },
        read: { replicas: 0 },
        write: { replicas: 0 },
        backend: { replicas: 0 },
        gateway: { enabled: false },
        chunksCache: { enabled: false },
        resultsCache: { enabled: false },
        lokiCanary: { enabled: false },
        test: { enabled: false },
        ...(highlyAvailable(ctx, 'loki') ? { podDisruptionBudget: { minAvailable: 1 } } : {}),
      },
    };
  },
};
