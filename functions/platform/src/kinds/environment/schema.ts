import { z } from 'zod';
import { awsProviderConfigRef, awsRegion, dnsLabel, ipv4Cidr, objectName } from '../../schema/fields.js';
import { pendingReasonsSchema, pendingResourcesSchema } from '../../schema/pending.js';

const DNS_ZONE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$/;
const IAM_PRINCIPAL_ARN = /^arn:aws(-[a-z]+)*:(iam|sts)::[0-9]{12}:(role|user|assumed-role)\/[A-Za-z0-9+=,.@_/-]{1,512}$/;

/**
 * Environment spec: the one definition behind the XRD and the function's
 * validation. Provider-specific requirements (region and CIDR for aws) are
 * checked by the composer, which can name the field and the reason.
 */
export const environmentSpecSchema = z
  .object({
    environment: dnsLabel(20).describe('Environment name (DNS label, at most 20 characters): selects the EnvironmentConfigs and prefixes names and secrets.'),
    provider: z.enum(['aws', 'onprem']).default('aws').describe('Where the environment runs.'),
    role: z.enum(['workload', 'platform']).default('workload').describe('platform adds the shared services and reaches every environment through the Hub.'),
    region: awsRegion().optional().describe('AWS region; required for provider aws.'),
    domain: z.string().max(200).regex(DNS_ZONE, { message: 'must be a DNS domain such as projectcatalyst.io' }).optional().describe('Overrides the organisation domain of the EnvironmentConfig (data.dns.domain): the zone is <environment>.<region>.<domain> (<environment>.<domain> on-prem).'),
    network: z
      .object({
        cidr: ipv4Cidr('10.1.0.0/16').optional().describe('VPC CIDR, /16 to /20, inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16; a spoke must not overlap its Hub or the Hub\'s other spokes. Required for provider aws.'),
        availabilityZones: z.number().int().min(2).max(3).optional().describe('Number of availability zones (2 or 3, at most as many as data.aws.regions lists for the region); default from the EnvironmentConfig.'),
        hubRef: z
          .object({ name: objectName(), namespace: dnsLabel() })
          .strict()
          .optional()
          .describe('Hub whose Transit Gateway carries this environment\'s egress; absent: NAT gateways in this VPC.'),
      })
      .strict()
      .optional(),
    kubernetes: z
      .object({
        version: z.string().regex(/^1\.[0-9]{2}$/, { message: 'must be a Kubernetes minor version such as "1.34"' }).optional().describe('One of data.kubernetes.supportedVersions; default from the EnvironmentConfig.'),
        publicEndpoint: z.boolean().default(false).describe('Expose the API server endpoint publicly, to anyone (spokes of a Hub; private only by default). Without a Hub the endpoint is always public, open only to the platform cluster (data.aws.platform.egressCidrs).'),
        adminPrincipalArns: z
          .array(z.string().max(600).regex(IAM_PRINCIPAL_ARN, { message: 'must be an IAM role or user ARN' }))
          .max(20)
          .default([])
          .describe('Platform operators\' standing cluster-admin through EKS access entries (with the operators\' Kubernetes group); refused where data.access.production is true: use data.access.breakGlass there. Everyone else: data.access (docs/access.md).'),
      })
      .strict()
      .optional(),
    providerConfigRef: awsProviderConfigRef('AWS credentials for this environment\'s account (a provider-aws ProviderConfig in this namespace by default).'),
    kubeconfigSecretRef: z
      .object({ name: objectName(), key: z.string().max(253).default('kubeconfig') })
      .strict()
      .optional()
      .describe('On-prem only: Secret in this namespace holding the existing cluster\'s kubeconfig.'),
    overrides: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ 'x-kubernetes-preserve-unknown-fields': true })
      .describe('Same shape as EnvironmentConfig data; merged last.'),
  })
  .strict()
  .describe('A whole environment: network, Kubernetes cluster, nodes, database, DNS, buckets and platform operators.');

/** Environment spec after defaults. */
export type EnvironmentSpec = z.output<typeof environmentSpecSchema>;

/** Environment status, filled from observed resources as they appear. */
export const environmentStatusSchema = z
  .object({
    zone: z
      .object({ name: z.string().optional(), id: z.string().optional(), nameServers: z.array(z.string()).optional() })
      .strict()
      .optional(),
    vpcId: z.string().optional(),
    clusterName: z.string().optional(),
    clusterEndpoint: z.string().optional(),
    oidcIssuer: z.string().optional(),
    database: z.object({ endpoint: z.string().optional(), port: z.number().int().optional() }).strict().optional(),
    transitGatewayAttachmentId: z.string().optional(),
    accountId: z.string().optional(),
    pendingResources: pendingResourcesSchema,
    pendingReasons: pendingReasonsSchema,
  })
  .strict();
