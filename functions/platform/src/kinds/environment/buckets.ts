import { denyInsecureTransport, policy, policyJson } from '../../resources/aws/iam-policy.js';
import type { EnvironmentContext } from './context.js';

const COMPONENT = 'storage';

/** The environment's buckets, by key suffix. */
export const BUCKETS = ['artifacts', 'logs'] as const;
export type BucketPurpose = (typeof BUCKETS)[number];

/**
 * Globally unique, DNS-safe bucket name: environment, region and domain
 * (which belongs to the organisation), and the purpose; hashed to fit 63
 * characters when long.
 */
export function bucketName(ctx: EnvironmentContext, purpose: BucketPurpose): string {
  const domain = ctx.inputs.domain.replaceAll('.', '-');
  return ctx.boundedName(`${ctx.environment}-${ctx.region}-${domain}-${purpose}`, 63);
}

/**
 * Buckets for artifacts and logs: KMS encryption with the environment key,
 * versioning, every public access blocked, requests without TLS refused (a
 * bucket policy; S3 still accepts plain HTTP otherwise), and for logs a
 * lifecycle that expires objects and old versions.
 */
export function buildBuckets(ctx: EnvironmentContext): void {
  const { region } = ctx;
  for (const purpose of BUCKETS) {
    const key = `bucket-${purpose}`;
    const bucketRef = { name: ctx.name(key) };
    ctx.add(key, COMPONENT, 's3.aws.m.upbound.io/v1beta1:Bucket', { region, forceDestroy: false, tags: ctx.tags(COMPONENT, { purpose }) }, { stateful: true, externalName: bucketName(ctx, purpose) });
    ctx.add(`${key}-encryption`, COMPONENT, 's3.aws.m.upbound.io/v1beta1:BucketServerSideEncryptionConfiguration', {
      region,
      bucketRef,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyIdRef: { name: ctx.name('kms-key') } }, bucketKeyEnabled: true }],
    });
    ctx.add(`${key}-versioning`, COMPONENT, 's3.aws.m.upbound.io/v1beta1:BucketVersioning', { region, bucketRef, versioningConfiguration: { status: 'Enabled' } });
    ctx.add(`${key}-public-access-block`, COMPONENT, 's3.aws.m.upbound.io/v1beta1:BucketPublicAccessBlock', {
      region,
      bucketRef,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const bucketArn = `arn:aws:s3:::${bucketName(ctx, purpose)}`;
    ctx.add(`${key}-policy`, COMPONENT, 's3.aws.m.upbound.io/v1beta1:BucketPolicy', {
      region,
      bucketRef,
      policy: policyJson(policy(denyInsecureTransport('s3:*', [bucketArn, `${bucketArn}/*`]))),
    });
  }
  const { logRetentionDays, noncurrentVersionRetentionDays } = ctx.config.buckets;
  ctx.add('bucket-logs-lifecycle', COMPONENT, 's3.aws.m.upbound.io/v1beta1:BucketLifecycleConfiguration', {
    region,
    bucketRef: { name: ctx.name('bucket-logs') },
    rule: [
      {
        id: 'expire-logs',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        expiration: [{ days: logRetentionDays }],
        noncurrentVersionExpiration: [{ noncurrentDays: noncurrentVersionRetentionDays }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
      },
    ],
  });
}
