import type { PolicyStatement } from '../../../resources/aws/iam-policy.js';
import type { EnvironmentContext } from '../context.js';
import { everywhere, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { CA_SECRET, TSIG_SECRET } from './onprem-secrets.js';

const CHART = 'cert-manager';

/** cert-manager's controller service account (the one that solves DNS-01): its role trusts exactly this one. */
export const CERT_MANAGER_SERVICE_ACCOUNT = { namespace: 'cert-manager', name: 'cert-manager' };

/** The ClusterIssuer certificates of this environment use: Let's Encrypt production. */
export const CLUSTER_ISSUER = 'letsencrypt';

/** Let's Encrypt staging: same solver, untrusted certificates, generous rate limits; for trying things out. */
export const STAGING_CLUSTER_ISSUER = 'letsencrypt-staging';

/** On-prem: the ClusterIssuer signing with the platform team's CA (`certificates.issuer: ca`). */
export const CA_CLUSTER_ISSUER = 'platform-ca';

/** On-prem: the ClusterIssuer of the configured ACME directory (`certificates.issuer: acme`). */
export const ACME_CLUSTER_ISSUER = 'acme';

/** cert-manager spells the TSIG algorithms its own way. */
const CERT_MANAGER_TSIG_ALGORITHMS = { 'hmac-sha256': 'HMACSHA256', 'hmac-sha512': 'HMACSHA512' } as const;

/** The ClusterIssuer of this environment's wildcard certificate. */
export function wildcardIssuer(ctx: EnvironmentContext): string {
  const certificates = ctx.onpremConfig?.certificates;
  if (certificates === undefined) return CLUSTER_ISSUER;
  return certificates.issuer === 'ca' ? CA_CLUSTER_ISSUER : ACME_CLUSTER_ISSUER;
}

const LETSENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';
const LETSENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

/**
 * DNS-01 on this environment's zone only: TXT records named `_acme-challenge.*`
 * in the one hosted zone, and reading the status of the change it made. The
 * solver names the hosted zone, so no zone listing is needed.
 */
export function certManagerPolicy(zoneId: string): PolicyStatement[] {
  const zoneArn = `arn:aws:route53:::hostedzone/${zoneId}`;
  return [
    {
      Sid: 'ChallengeRecordsInThisZone',
      Effect: 'Allow',
      Action: 'route53:ChangeResourceRecordSets',
      Resource: zoneArn,
      Condition: {
        'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] },
        'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_acme-challenge.*'] },
      },
    },
    { Sid: 'ReadThisZone', Effect: 'Allow', Action: 'route53:ListResourceRecordSets', Resource: zoneArn },
    { Sid: 'ChangeStatus', Effect: 'Allow', Action: 'route53:GetChange', Resource: 'arn:aws:route53:::change/*' },
  ];
}

/** Scheduling, size and disruption budget of one of the chart's deployments. */
function component(ctx: EnvironmentContext, memory: string) {
  const replicas = replicasOf(ctx, CHART);
  return {
    replicaCount: replicas,
    tolerations: [CRITICAL_ADDONS_TOLERATION],
    nodeSelector: SYSTEM_NODE_SELECTOR,
    resources: { requests: { cpu: '20m', memory: '64Mi' }, limits: { memory } },
    ...(highlyAvailable(ctx, CHART) ? { podDisruptionBudget: { enabled: true, minAvailable: 1 } } : {}),
  };
}

/** A Let's Encrypt ClusterIssuer answering DNS-01 challenges for this zone in Route53. */
function acmeIssuer(ctx: EnvironmentContext, name: string, server: string, zoneId: string | undefined) {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name },
    spec: {
      acme: {
        server,
        privateKeySecretRef: { name: `${name}-account-key` },
        solvers: [
          {
            selector: { dnsZones: [ctx.zoneName] },
            // Ambient credentials: the controller's Pod Identity (ClusterIssuers may use them by default).
            dns01: { route53: { region: ctx.region, ...(zoneId !== undefined ? { hostedZoneID: zoneId } : {}) } },
          },
        ],
      },
    },
  };
}

/**
 * The on-prem ClusterIssuer: the platform team's CA (its certificate and key
 * synced from Vault by onprem-secrets), or an ACME directory answering
 * DNS-01 for this zone through RFC 2136 with the TSIG key of the DNS config.
 */
function onpremIssuer(ctx: EnvironmentContext): Record<string, unknown> | undefined {
  const onprem = ctx.onpremConfig;
  if (onprem === undefined) return undefined;
  const { certificates, dns } = onprem;
  if (certificates.issuer === 'ca') {
    return { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: CA_CLUSTER_ISSUER }, spec: { ca: { secretName: CA_SECRET } } };
  }
  // The config schema refuses acme without rfc2136; this only narrows the type.
  if (dns.provider !== 'rfc2136') return undefined;
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: ACME_CLUSTER_ISSUER },
    spec: {
      acme: {
        server: certificates.server,
        ...(certificates.email !== undefined ? { email: certificates.email } : {}),
        privateKeySecretRef: { name: `${ACME_CLUSTER_ISSUER}-account-key` },
        solvers: [
          {
            selector: { dnsZones: [ctx.zoneName] },
            dns01: {
              rfc2136: {
                nameserver: `${dns.host}:${dns.port}`,
                tsigKeyName: dns.tsigKeyName,
                tsigAlgorithm: CERT_MANAGER_TSIG_ALGORITHMS[dns.tsigAlgorithm],
                tsigSecretSecretRef: { name: TSIG_SECRET, key: 'secret' },
              },
            },
          },
        ],
      },
    },
  };
}

/** Public resolvers the DNS-01 self-check asks (Cloudflare, Google), over DNS on 53. */
const PUBLIC_RESOLVERS = '1.1.1.1:53,8.8.8.8:53';

/**
 * cert-manager (CRDs from the chart, kept on uninstall) with the issuer of
 * the zone's wildcard certificate: on AWS Let's Encrypt ClusterIssuers
 * solving DNS-01 in this environment's Route53 zone, on-prem the configured
 * CA or ACME directory ({@link onpremIssuer}). The wildcard Certificate lives
 * with the Gateways that serve it (envoy-gateway add-on), in their namespace.
 */
export const certManager: AddonDefinition = {
  name: 'cert-manager',
  chart: { repository: 'https://charts.jetstack.io', chart: 'cert-manager', version: 'v1.21.1' },
  enabled: everywhere,
  // On AWS the issuers name the hosted zone; it must exist first.
  waitFor: (ctx) => (ctx.provider === 'aws' ? ['zone'] : []),
  identity: {
    serviceAccount: CERT_MANAGER_SERVICE_ACCOUNT,
    statements(ctx) {
      const zoneId = ctx.observedString('zone', 'zoneId');
      return zoneId === undefined ? [] : certManagerPolicy(zoneId);
    },
  },
  release(ctx) {
    return {
      chart: CHART,
      namespace: CERT_MANAGER_SERVICE_ACCOUNT.namespace,
      values: {
        crds: { enabled: true, keep: true },
        serviceAccount: { create: true, name: CERT_MANAGER_SERVICE_ACCOUNT.name },
        ...component(ctx, '256Mi'),
        webhook: component(ctx, '64Mi'),
        cainjector: component(ctx, '256Mi'),
        startupapicheck: { tolerations: [CRITICAL_ADDONS_TOLERATION], nodeSelector: SYSTEM_NODE_SELECTOR },
        // Inside the VPC the private zone of the same name answers (dns.ts) and holds no challenge
        // records: check DNS-01 propagation against public resolvers only.
        ...(ctx.provider === 'aws' ? { dns01RecursiveNameservers: PUBLIC_RESOLVERS, dns01RecursiveNameserversOnly: true } : {}),
      },
    };
  },
  objects(ctx) {
    if (ctx.provider !== 'aws') return { issuer: onpremIssuer(ctx) };
    const zoneId = ctx.observedString('zone', 'zoneId');
    return {
      issuer: acmeIssuer(ctx, CLUSTER_ISSUER, LETSENCRYPT, zoneId),
      'issuer-staging': acmeIssuer(ctx, STAGING_CLUSTER_ISSUER, LETSENCRYPT_STAGING, zoneId),
    };
  },
};
