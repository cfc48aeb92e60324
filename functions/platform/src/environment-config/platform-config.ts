import { z } from 'zod';
import { dnsLabel } from '../schema/fields.js';
import type { ConfigLayer } from './resolve.js';
import { onpremConfigSchema } from './onprem-config.js';
import { storageClassesSchema } from './storage-classes.js';

/** Label that ties an EnvironmentConfig in the platform cluster to an environment (or `base`). */
export const ENVIRONMENT_LABEL = 'platform.projectcatalyst.io/environment';

/** The label value of the config every environment starts from. */
export const BASE_CONFIG = 'base';

const IPV4_CIDR = /^([0-9]{1,3}\.){3}[0-9]{1,3}\/[0-9]{1,2}$/;

const accountId = () => z.string().regex(/^[0-9]{12}$/, { message: 'must be a 12-digit AWS account id' });

/**
 * Another account an Environment writes into, and the cluster-scoped
 * ProviderConfig holding its credentials (cluster-scoped: every Environment's
 * namespace uses the same one).
 */
const otherAccount = (description: string) =>
  z
    .object({
      accountId: accountId(),
      providerConfigName: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(253).describe('ClusterProviderConfig (aws.m.upbound.io) with credentials of that account.'),
    })
    .strict()
    .describe(description);

const kubernetesVersion = z.string().regex(/^1\.[0-9]{2}$/, { message: 'must be a Kubernetes minor version such as "1.34"' });

const chartSchema = z
  .object({
    repository: z.string().min(1).max(512).describe('Helm repository URL or oci:// reference.'),
    chart: z.string().min(1).max(128),
    version: z.string().min(1).max(64).describe('Pinned chart version.'),
    replicas: z.number().int().min(1).max(10).optional().describe('Controller replicas, where the chart has a setting.'),
  })
  .strict();

/**
 * Data of the platform EnvironmentConfigs (`base`, `dev`, `staging`, `prod`,
 * `onprem`) after merging. Everything an Environment is sized by lives here;
 * nothing has a silent default in code.
 */
export const platformConfigSchema = z
  .object({
    aws: z
      .object({
        accountId: accountId().optional().describe('Account the environment lives in; scopes every IAM policy ARN. Required for provider aws (set per environment).'),
        network: otherAccount('The network account: owns the Hub (Transit Gateway, its route tables, the egress VPC); required with spec.network.hubRef.').optional(),
        platform: z
          .object({
            vpcCidr: z.string().regex(IPV4_CIDR, { message: 'must be an IPv4 CIDR such as 10.10.0.0/16' }).describe('VPC of the platform cluster (Crossplane), admitted on 443 to the EKS API of every spoke.'),
            egressCidrs: z
              .array(z.string().regex(IPV4_CIDR, { message: 'must be an IPv4 CIDR such as 198.51.100.10/32' }))
              .min(1)
              .describe('Where the platform cluster reaches the internet from (the Hub egress IPs as /32s): the only sources of a standalone environment\'s public EKS endpoint.'),
          })
          .strict()
          .optional()
          .describe('Where the platform cluster that reconciles this environment reaches it from; required for provider aws.'),
      })
      .strict()
      .optional()
      .describe('Required for provider aws.'),
    dns: z
      .object({
        parentZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, { message: 'must be a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ' }).describe('Hosted zone of spec.domain, where the NS delegation record goes.'),
        account: otherAccount('The DNS account: owns the parent zone; the NS delegation record is written with its ProviderConfig.').optional(),
        recordTtl: z.number().int().min(30).max(172800),
      })
      .strict()
      .optional()
      .describe('Required for provider aws.'),
    onprem: onpremConfigSchema.optional().describe('Required for provider onprem: the existing cluster\'s secret store, DNS, certificates and storage.'),
    protection: z
      .object({
        retainStatefulResources: z
          .boolean()
          .describe('Orphan the database, buckets, KMS key and secrets when the Environment is deleted (managementPolicies without Delete).'),
      })
      .strict(),
    buckets: z
      .object({
        logRetentionDays: z.number().int().min(1).max(3653),
        noncurrentVersionRetentionDays: z.number().int().min(1).max(3653),
      })
      .strict(),
    kubernetes: z
      .object({
        version: kubernetesVersion,
        addonVersions: z
          .record(z.string().regex(/^1\.[0-9]{2}$/), z.record(z.string(), z.string().min(1).max(64)))
          .default({})
          .describe('EKS add-on versions per Kubernetes minor, e.g. {"1.34": {"coredns": "v1.12.4-eksbuild.1"}}; unlisted add-ons keep the version EKS installed.'),
      })
      .strict(),
    network: z
      .object({
        availabilityZones: z.number().int().min(2).max(3),
        multiAzNat: z.boolean().describe('One NAT gateway per AZ (true) or a single one (false).'),
        flowLogRetentionDays: z.number().int().min(1).max(3653),
      })
      .strict(),
    storageClasses: storageClassesSchema,
    nodes: z
      .object({
        capacityTypes: z.array(z.enum(['spot', 'on-demand'])).min(1),
        system: z
          .object({
            instanceTypes: z.array(z.string().min(1).max(32)).min(1),
            minSize: z.number().int().min(1),
            maxSize: z.number().int().min(1),
            desiredSize: z.number().int().min(1),
          })
          .strict()
          .refine((s) => s.minSize <= s.desiredSize && s.desiredSize <= s.maxSize, {
            message: 'must satisfy minSize <= desiredSize <= maxSize',
          }),
        pools: z.record(
          z.enum(['general', 'compute', 'memory', 'gpu']),
          z
            .object({
              enabled: z.boolean(),
              instanceCategories: z.array(z.string().min(1).max(8)).min(1),
              cpuLimit: z.number().int().min(1),
            })
            .strict(),
        ),
        consolidation: z
          .object({
            policy: z.enum(['WhenEmpty', 'WhenEmptyOrUnderutilized']),
            consolidateAfter: z.string().regex(/^([0-9]+(s|m|h))+$/, { message: 'must be a duration such as 30s or 5m' }),
          })
          .strict(),
      })
      .strict(),
    database: z
      .object({
        masterUsername: z.string().regex(/^[a-z][a-z0-9_]{0,15}$/, { message: 'must be a PostgreSQL user name of at most 16 characters' }),
        engineVersion: z.string().regex(/^(1[4-9]|[2-9][0-9])(\.[0-9]+)?$/, { message: 'must be PostgreSQL 14 or newer, such as "16" or "16.4"' }),
        instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'must be an RDS instance class such as db.t4g.medium' }),
        allocatedStorage: z.number().int().min(20).max(65536),
        maxAllocatedStorage: z.number().int().min(20).max(65536),
        multiAz: z.boolean(),
        backupRetentionDays: z.number().int().min(1).max(35),
        deletionProtection: z.boolean(),
        skipFinalSnapshot: z.boolean(),
      })
      .strict(),
    features: z
      .object({
        cilium: z.boolean(),
        hubbleUi: z.boolean(),
        falco: z.boolean(),
        falcoKillMode: z.boolean(),
        trivyAdmission: z.boolean(),
        kyverno: z.boolean(),
        veleroBackups: z.boolean(),
        goldilocks: z.boolean(),
        reloader: z.boolean(),
        metricsServer: z.boolean(),
      })
      .strict(),
    addons: z.record(dnsLabel(), chartSchema).describe('Charts by add-on name: repository, chart, pinned version.'),
    observability: z
      .object({
        mode: z.enum(['grafana-cloud', 'in-cluster']),
        grafanaCloud: z
          .object({
            prometheusUrl: z.string().url(),
            lokiUrl: z.string().url(),
            credentialsSecret: z.string().min(1).max(256).describe('Secrets Manager name holding the Grafana Cloud access policy token.'),
          })
          .strict()
          .optional(),
      })
      .strict(),
    developerAccess: z
      .object({ level: z.enum(['none', 'view', 'edit', 'admin']) })
      .strict()
      .describe('What project teams may do in the environment cluster.'),
  })
  .strict();

/** Validated, merged platform config. */
export type PlatformConfig = z.infer<typeof platformConfigSchema>;

/** Layers an Environment named `environment` merges: base, then its own. */
export function platformConfigLayers(environment: string): ConfigLayer[] {
  return [BASE_CONFIG, environment].map((value) => ({
    requirementName: `environment-config-${value === BASE_CONFIG ? 'base' : 'environment'}`,
    selector: {
      apiVersion: 'apiextensions.crossplane.io/v1beta1',
      kind: 'EnvironmentConfig',
      matchLabels: { [ENVIRONMENT_LABEL]: value },
    },
  }));
}
