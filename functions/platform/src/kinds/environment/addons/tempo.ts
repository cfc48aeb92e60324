import type { PolicyStatement } from '../../../resources/aws/iam-policy.js';
import { bucketName } from '../buckets.js';
import type { EnvironmentContext } from '../context.js';
import { CRITICAL_ADDONS_TOLERATION, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { storesInCluster } from './observability-mode.js';
import { minioCredentialsEnv, MINIO_ENDPOINT, MINIO_REGION, MONITORING_NAMESPACE, ONPREM_SECRET_KEYS, TEMPO_BUCKET, TEMPO_S3_SECRET } from './onprem-secrets.js';

/** Key prefix of Tempo's blocks in the environment's logs bucket (Loki writes at the root, outside it). */
export const TEMPO_PREFIX = 'tempo';

const SERVICE_ACCOUNT = { namespace: MONITORING_NAMESPACE, name: 'tempo' };

/**
 * What Tempo may do in AWS: list, read, write, tag and delete objects under
 * its own prefix of the logs bucket (the compactor deletes expired blocks),
 * and use the environment key only through S3 (the bucket encrypts with it).
 */
function tempoStatements(ctx: EnvironmentContext): PolicyStatement[] {
  const bucketArn = `arn:aws:s3:::${bucketName(ctx, 'logs')}`;
  return [
    { Sid: 'ListOwnPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': [`${TEMPO_PREFIX}/*`, TEMPO_PREFIX] } } },
    {
      Sid: 'ReadWriteOwnPrefix',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:GetObjectTagging', 's3:PutObjectTagging'],
      Resource: `${bucketArn}/${TEMPO_PREFIX}/*`,
    },
    {
      Sid: 'UseEnvironmentKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: ctx.arn('kms', 'key/*'),
      Condition: { StringEquals: { 'aws:ResourceTag/environment': ctx.environment, 'kms:ViaService': `s3.${ctx.region}.amazonaws.com` } },
    },
  ];
}

/**
 * Tempo's trace store. AWS: the logs bucket under {@link TEMPO_PREFIX}, with
 * the role's credentials (Pod Identity). On-prem: the in-cluster MinIO's
 * `tempo` bucket as a MinIO user of its own, its keys in environment
 * variables from a Secret (never in the config).
 */
function traceStorage(ctx: EnvironmentContext): { storage: Record<string, unknown>; extraEnv: Record<string, unknown>[] } {
  const local = { wal: { path: '/var/tempo/wal' } };
  if (ctx.provider === 'aws') {
    return {
      storage: { trace: { backend: 's3', s3: { bucket: bucketName(ctx, 'logs'), prefix: TEMPO_PREFIX, endpoint: `s3.${ctx.region}.amazonaws.com`, region: ctx.region }, ...local } },
      extraEnv: [],
    };
  }
  return {
    storage: {
      // Plain HTTP inside the cluster, like Loki's: MinIO has no certificate here.
      trace: { backend: 's3', s3: { bucket: TEMPO_BUCKET, endpoint: MINIO_ENDPOINT, region: MINIO_REGION, forcepathstyle: true, insecure: true }, ...local },
    },
    extraEnv: minioCredentialsEnv(TEMPO_S3_SECRET),
  };
}

/**
 * Grafana Tempo, one binary, in every mode that keeps traces in the
 * cluster (in-cluster, aws-managed; on-prem on MinIO). Alloy forwards the
 * spans it receives to its OTLP gRPC port; Grafana queries port 3200.
 * Traces are kept a week, or as long as logs where that is shorter.
 */
export const tempo: AddonDefinition = {
  name: 'tempo',
  chart: { repository: 'https://grafana-community.github.io/helm-charts', chart: 'tempo', version: '2.2.4' },
  enabled: storesInCluster,
  // On-prem: the bucket and Tempo's MinIO user exist once MinIO is up; the WAL volume needs the storage driver.
  dependsOn: ['minio', 'longhorn', 'openebs'],
  waitFor: (ctx) => (ctx.provider === 'onprem' ? [ONPREM_SECRET_KEYS.tempoS3] : []),
  identity: { serviceAccount: SERVICE_ACCOUNT, statements: tempoStatements },
  release(ctx) {
    const { storage, extraEnv } = traceStorage(ctx);
    const retentionHours = Math.min(7, ctx.config.buckets.logRetentionDays) * 24;
    return {
      chart: 'tempo',
      namespace: MONITORING_NAMESPACE,
      values: {
        replicas: 1,
        serviceAccount: { create: true, name: SERVICE_ACCOUNT.name },
        tempo: {
          // No usage reports to Grafana Labs from a platform cluster.
          reportingEnabled: false,
          retention: `${retentionHours}h`,
          storage,
          extraEnv,
          resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '4Gi' } },
        },
        persistence: { enabled: true, storageClassName: ctx.config.storageClasses.standard.name, size: '10Gi', annotations: {} },
        nodeSelector: SYSTEM_NODE_SELECTOR,
        tolerations: [CRITICAL_ADDONS_TOLERATION],
      },
    };
  },
};
