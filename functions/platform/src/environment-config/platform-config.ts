import { z } from 'zod';
import { dnsLabel } from '../schema/fields.js';
import type { ConfigLayer, FetchedResources } from './resolve.js';
import { accessConfigSchema } from './access-config.js';
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

/**
 * Availability Zone IDs per region (strict helper's section). IDs, not names:
 * AWS maps zone names (eu-central-1a) to physical zones differently in every
 * account, and the Hub and its spokes live in different accounts, so only the
 * ID puts a spoke's attachment subnet in the same zone as the egress subnet.
 */
export const regionsSchema = z
  .record(
    z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$/, { message: 'must be an AWS region such as eu-central-1' }),
    z
      .object({
        availabilityZoneIds: z
          .array(z.string().regex(/^[a-z]{2,6}[0-9]-az[0-9]{1,2}$/, { message: 'must be an Availability Zone ID such as euc1-az1 (aws ec2 describe-availability-zones lists them)' }))
          .min(2)
          .max(6)
          .refine((ids) => new Set(ids).size === ids.length, { message: 'must not list a zone twice' })
          .describe('Zone IDs that take new subnets, in the order slots a, b, c use them; leave out zones AWS closes to new subnets.'),
      })
      .strict(),
  )
  .describe('Regions environments and Hubs may use, with their Availability Zone IDs; a region missing here is refused.');

const kubernetesVersion = z.string().regex(/^1\.[0-9]{2}$/, { message: 'must be a Kubernetes minor version such as "1.34"' });

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy). */
const CLOUDWATCH_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
const logRetentionDays = z
  .number()
  .int()
  .refine((d) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(d), { message: `must be a CloudWatch Logs retention: one of ${CLOUDWATCH_RETENTION_DAYS.join(', ')}` });

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEK = 7 * 24 * 60;

/** Minutes from the start of the day ("hh:mm"), or of the week ("ddd:hh:mm"). */
function minuteOf(point: string): number {
  const parts = point.split(':');
  const [hours, minutes] = parts.slice(-2).map(Number) as [number, number];
  const day = parts.length === 3 ? DAYS.indexOf(parts[0] ?? '') : 0;
  return day * 24 * 60 + hours * 60 + minutes;
}

/** [start, end) intervals of a window in minutes of the week; a daily window repeats every day, a window may wrap. */
function intervals(window: string): Array<[number, number]> {
  const [from = '', to = ''] = window.split('-');
  const weekly = from.split(':').length === 3;
  const start = minuteOf(from);
  const length = (((minuteOf(to) - start) % (weekly ? WEEK : 1440)) + (weekly ? WEEK : 1440)) % (weekly ? WEEK : 1440);
  const starts = weekly ? [start] : DAYS.map((_, day) => day * 1440 + start);
  // Each interval also a week later, so one wrapping past Sunday midnight is compared whole.
  return starts.flatMap((s) => [[s, s + length] as [number, number], [s + WEEK, s + WEEK + length] as [number, number]]);
}

function windowMinutes(window: string): number {
  const [first] = intervals(window);
  return first === undefined ? 0 : first[1] - first[0];
}

function windowsOverlap(a: string, b: string): boolean {
  return intervals(a).some(([s1, e1]) => intervals(b).some(([s2, e2]) => s1 < e2 && s2 < e1));
}

/** A weekly window as RDS writes it: ddd:hh:mm-ddd:hh:mm (UTC). */
const weeklyWindow = z.string().regex(/^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$/, {
  message: 'must be a weekly window such as "sun:03:00-sun:04:00" (UTC)',
});

/** Overrides of an add-on's own chart (kinds/environment/addons/<addon>.ts): any field, usually a version pin. */
const chartSchema = z
  .object({
    repository: z.string().min(1).max(512).optional().describe('Helm repository URL or oci:// reference.'),
    chart: z.string().min(1).max(128).optional(),
    version: z.string().min(1).max(64).optional().describe('Pinned chart version.'),
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
        regions: regionsSchema.optional(),
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
        domain: z
          .string()
          .max(200)
          .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$/, { message: 'must be a DNS domain such as example.com' })
          .optional()
          .describe('The organisation domain, the name of the parent zone: environment zones are <environment>.<region>.<domain>. Environment.spec.domain overrides it.'),
        parentZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, { message: 'must be a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ' }).describe('Hosted zone of the domain, where the NS delegation record goes.'),
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
        version: kubernetesVersion.describe('Default Kubernetes minor; must be one of supportedVersions.'),
        supportedVersions: z
          .array(kubernetesVersion)
          .min(1)
          .describe('Kubernetes minors the platform is tested with and EKS supports; an Environment asking for another is refused.'),
        addonVersions: z
          .record(z.string().regex(/^1\.[0-9]{2}$/), z.record(z.string(), z.string().min(1).max(64)))
          .default({})
          .describe('EKS add-on versions per Kubernetes minor, e.g. {"1.34": {"coredns": "v1.12.4-eksbuild.1"}}; unlisted add-ons keep the version EKS installed.'),
        supportType: z
          .enum(['STANDARD', 'EXTENDED'])
          .default('STANDARD')
          .describe('EKS upgrade policy: STANDARD upgrades the cluster when standard support ends instead of starting extended-support billing.'),
        controlPlaneLogRetentionDays: logRetentionDays.default(90).describe('Retention of the EKS control plane log group.'),
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
        amiAlias: z
          .string()
          .regex(/^bottlerocket@(latest|v[0-9]+\.[0-9]+\.[0-9]+)$/, { message: 'must be bottlerocket@latest or a pinned release such as bottlerocket@v1.64.0' })
          .default('bottlerocket@latest')
          .describe('AMI of the Karpenter nodes (EC2NodeClass alias): pin a Bottlerocket release where drift must be deliberate.'),
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
        performanceInsightsRetentionDays: z
          .number()
          .int()
          .refine((d) => d === 0 || d === 7 || d === 731 || (d % 31 === 0 && d >= 31 && d <= 713), { message: 'must be 0 (off), 7, a multiple of 31 up to 713, or 731' })
          .default(0)
          .describe('Performance Insights retention; 0 turns it off, 7 is the free tier.'),
        monitoringIntervalSeconds: z
          .union([z.literal(0), z.literal(1), z.literal(5), z.literal(10), z.literal(15), z.literal(30), z.literal(60)])
          .default(0)
          .describe('Enhanced Monitoring interval; 0 turns it off (and composes no monitoring role).'),
        backupWindow: z
          .string()
          .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$/, { message: 'must be a daily window such as "02:00-03:00" (UTC)' })
          .optional()
          .describe('Daily automated-backup window (UTC, at least 30 minutes); unset lets RDS pick one.'),
        maintenanceWindow: weeklyWindow.optional().describe('Weekly maintenance window (UTC), not overlapping the backup window; unset lets RDS pick one.'),
        logRetentionDays: logRetentionDays.default(90).describe('Retention of the PostgreSQL log group the instance exports to.'),
      })
      .strict()
      .refine((d) => d.backupWindow === undefined || windowMinutes(d.backupWindow) >= 30, {
        message: 'backupWindow: must be at least 30 minutes long (RDS)',
      })
      .refine((d) => d.backupWindow === undefined || d.maintenanceWindow === undefined || !windowsOverlap(d.backupWindow, d.maintenanceWindow), {
        message: 'backupWindow and maintenanceWindow: must not overlap (RDS refuses it); move one of them',
      }),
    // The flags are the add-ons' (kinds/environment/config.ts checks names and fills defaults).
    features: z.record(z.string(), z.boolean()).default({}),
    addons: z.record(dnsLabel(), chartSchema).default({}).describe('Overrides of the add-ons\' own charts, by add-on name: repository, chart, pinned version, replicas.'),
    observability: z
      .object({
        mode: z
          .enum(['grafana-cloud', 'in-cluster', 'aws-managed'])
          .describe(
            'Where metrics, logs and traces go (docs/addons/core.md, Observability): grafana-cloud (Alloy sends everything to Grafana Cloud), in-cluster (Prometheus, Loki, Tempo and Grafana in the cluster; the only mode on-prem), aws-managed (Amazon Managed Prometheus, Loki and Tempo on the logs bucket, Grafana in the cluster; AWS only).',
          ),
        grafanaCloud: z
          .object({
            prometheusUrl: z.string().url(),
            lokiUrl: z.string().url(),
            tracesEndpoint: z
              .string()
              .regex(/^[a-z0-9.-]+(\/[A-Za-z0-9._-]+)?:[0-9]{1,5}$/, { message: 'must be host:port, e.g. tempo-prod-04-prod-us-east-0.grafana.net:443' })
              .describe("Grafana Cloud Tempo's OTLP gRPC endpoint (host:port, TLS), where Alloy sends traces."),
            credentialsSecret: z.string().min(1).max(256).describe('Secrets Manager name holding the Grafana Cloud access policy token (JSON: prometheusUser, lokiUser, tracesUser, token).'),
          })
          .strict()
          .optional(),
        tracing: z
          .object({
            samplingPercent: z
              .number()
              .min(0)
              .max(100)
              .describe('Share of requests the mesh waypoints and the gateways trace (percent, 0 to 100); low in prod, higher in dev.'),
          })
          .strict(),
      })
      .strict(),
    access: accessConfigSchema.describe('Who may reach the environment cluster and how: developer teams, platform operators, break-glass (docs/access.md).'),
  })
  .strict();

/** Validated, merged platform config. */
export type PlatformConfig = z.infer<typeof platformConfigSchema>;

/** Requirement under which Crossplane supplies every EnvironmentConfig of the platform cluster. */
export const ENVIRONMENT_CONFIGS_REQUIREMENT = 'environment-configs';

/**
 * What the Environment Composition fetches before every call: every
 * EnvironmentConfig, because which ones an Environment merges depends on its
 * spec, which a Composition cannot see. A platform cluster holds a handful.
 */
export const environmentConfigsRequirement: FetchedResources = {
  requirementName: ENVIRONMENT_CONFIGS_REQUIREMENT,
  apiVersion: 'apiextensions.crossplane.io/v1beta1',
  kind: 'EnvironmentConfig',
};

/** The configs an Environment merges, in order: `base`, then its own environment's, picked by label. */
export function platformConfigLayers(environment: string): ConfigLayer[] {
  return [BASE_CONFIG, environment].map((value) => ({ requirementName: ENVIRONMENT_CONFIGS_REQUIREMENT, matchLabels: { [ENVIRONMENT_LABEL]: value } }));
}
