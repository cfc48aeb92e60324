import type { PolicyStatement } from '../../../resources/aws/iam-policy.js';
import { bucketName } from '../buckets.js';
import type { EnvironmentContext } from '../context.js';
import { featureOn, CRITICAL_ADDONS_TOLERATION, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

const SERVICE_ACCOUNT = { namespace: 'velero', name: 'velero' };

/** Key prefix of Velero's backups inside the environment's artifacts bucket. */
export const VELERO_PREFIX = 'velero';

/** Image of the AWS object store and EBS snapshot plugin, the one the chart's values.yaml pairs with it. */
const AWS_PLUGIN_IMAGE = 'velero/velero-plugin-for-aws:v1.13.1';

/** Tag Velero puts on every EBS snapshot it takes; deleting is limited to snapshots that carry it. */
const BACKUP_TAG = 'velero.io/backup';

/**
 * What Velero may do in AWS: read and write its own prefix of the artifacts
 * bucket, use the environment KMS key only through S3 and EC2 (the bucket
 * and the volumes are encrypted with it), snapshot volumes of this region
 * and tag the snapshots it creates, delete only snapshots it tagged, and
 * create volumes from snapshots on restore.
 */
function veleroStatements(ctx: EnvironmentContext): PolicyStatement[] {
  const bucketArn = `arn:aws:s3:::${bucketName(ctx, 'artifacts')}`;
  const snapshots = `arn:aws:ec2:${ctx.region}::snapshot/*`;
  const volumes = ctx.arn('ec2', 'volume/*');
  const keyArn = ctx.observedString('kms-key', 'arn');
  return [
    { Sid: 'ListOwnPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': [`${VELERO_PREFIX}/*`, VELERO_PREFIX] } } },
    {
      Sid: 'ReadWriteOwnPrefix',
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      Resource: `${bucketArn}/${VELERO_PREFIX}/*`,
    },
    ...(keyArn !== undefined
      ? [
          {
            Sid: 'UseEnvironmentKeyThroughS3AndEc2',
            Effect: 'Allow' as const,
            Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:DescribeKey', 'kms:CreateGrant'],
            Resource: keyArn,
            Condition: { StringEquals: { 'kms:ViaService': [`s3.${ctx.region}.amazonaws.com`, `ec2.${ctx.region}.amazonaws.com`] } },
          },
        ]
      : []),
    {
      Sid: 'ReadVolumesAndSnapshots',
      Effect: 'Allow',
      Action: ['ec2:DescribeVolumes', 'ec2:DescribeSnapshots'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': ctx.region } },
    },
    { Sid: 'SnapshotVolumes', Effect: 'Allow', Action: 'ec2:CreateSnapshot', Resource: [volumes, snapshots] },
    { Sid: 'RestoreVolumes', Effect: 'Allow', Action: 'ec2:CreateVolume', Resource: [volumes, snapshots] },
    {
      Sid: 'TagWhatItCreates',
      Effect: 'Allow',
      Action: 'ec2:CreateTags',
      Resource: [volumes, snapshots],
      Condition: { StringEquals: { 'ec2:CreateAction': ['CreateSnapshot', 'CreateVolume'] } },
    },
    {
      Sid: 'DeleteOwnSnapshots',
      Effect: 'Allow',
      Action: 'ec2:DeleteSnapshot',
      Resource: snapshots,
      Condition: { Null: { [`aws:ResourceTag/${BACKUP_TAG}`]: 'false' } },
    },
  ];
}

/**
 * Velero (config `features.veleroBackups`): cluster backups to the
 * environment's artifacts bucket under `velero/`, EBS snapshots of
 * persistent volumes, with its own Pod Identity role. The
 * BackupStorageLocation and a nightly Schedule are applied once the release
 * (and its CRDs) is ready; prod keeps backups for 30 days, elsewhere 7.
 */
export const velero: AddonDefinition = {
  name: 'velero',
  chart: { repository: 'https://vmware-tanzu.github.io/helm-charts', chart: 'velero', version: '12.1.0' },
  features: { veleroBackups: { default: false, description: 'Velero backups to S3 and EBS snapshots (AWS).' } },
  // AWS only: it backs up to the environment's S3 bucket and snapshots EBS volumes.
  enabled: (ctx) => ctx.provider === 'aws' && featureOn(ctx, 'veleroBackups'),
  identity: { serviceAccount: SERVICE_ACCOUNT, statements: veleroStatements },
  release(ctx) {
    return {
      chart: 'velero',
      namespace: SERVICE_ACCOUNT.namespace,
      values: {
        initContainers: [{ name: 'velero-plugin-for-aws', image: AWS_PLUGIN_IMAGE, volumeMounts: [{ mountPath: '/target', name: 'plugins' }] }],
        // Pod Identity supplies credentials; no static keys in a Secret.
        credentials: { useSecret: false },
        serviceAccount: { server: { create: true, name: SERVICE_ACCOUNT.name, automountServiceAccountToken: true } },
        // The storage location is an Object applied after the CRDs exist; snapshots go to this region.
        backupsEnabled: false,
        snapshotsEnabled: true,
        configuration: { volumeSnapshotLocation: [{ name: 'default', provider: 'aws', config: { region: ctx.region } }] },
        tolerations: [CRITICAL_ADDONS_TOLERATION],
        nodeSelector: SYSTEM_NODE_SELECTOR,
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
      },
    };
  },
  objects(ctx) {
    const ttl = ctx.config.protection.retainStatefulResources ? '720h0m0s' : '168h0m0s';
    return {
      'backup-location': {
        apiVersion: 'velero.io/v1',
        kind: 'BackupStorageLocation',
        metadata: { name: 'default', namespace: SERVICE_ACCOUNT.namespace },
        spec: {
          provider: 'aws',
          default: true,
          objectStorage: { bucket: bucketName(ctx, 'artifacts'), prefix: VELERO_PREFIX },
          config: { region: ctx.region },
        },
      },
      'schedule-nightly': {
        apiVersion: 'velero.io/v1',
        kind: 'Schedule',
        metadata: { name: 'nightly', namespace: SERVICE_ACCOUNT.namespace },
        spec: {
          schedule: '0 2 * * *',
          template: { includedNamespaces: ['*'], excludedNamespaces: ['kube-system'], snapshotVolumes: true, storageLocation: 'default', volumeSnapshotLocations: ['default'], ttl },
        },
      },
    };
  },
};
