import type { PolicyStatement } from '../../../resources/aws/iam-policy.js';
import type { EnvironmentContext } from '../context.js';
import { CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

const CHART = 'cert-manager';

/** cert-manager's controller service account (the one that solves DNS-01): its role trusts exactly this one. */
export const CERT_MANAGER_SERVICE_ACCOUNT = { namespace: 'cert-manager', name: 'cert-manager' };

/** The ClusterIssuer certificates of this environment use: Let's Encrypt production. */
export const CLUSTER_ISSUER = 'letsencrypt';

/** Let's Encrypt staging: same solver, untrusted certificates, generous rate limits; for trying things out. */
export const STAGING_CLUSTER_ISSUER = 'letsencrypt-staging';

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
 * cert-manager (CRDs from the chart, kept on uninstall) with Let's Encrypt
 * ClusterIssuers solving DNS-01 in this environment's Route53 zone. The
 * wildcard Certificate lives with the Gateways that serve it (envoy-gateway
 * add-on), in their namespace.
 */
export const certManager: AddonDefinition = {
  name: 'cert-manager',
  enabled: () => true,
  // The issuers name the hosted zone; it must exist first.
  waitFor: ['zone'],
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
      },
    };
  },
  objects(ctx) {
    const zoneId = ctx.observedString('zone', 'zoneId');
    return {
      issuer: acmeIssuer(ctx, CLUSTER_ISSUER, LETSENCRYPT, zoneId),
      'issuer-staging': acmeIssuer(ctx, STAGING_CLUSTER_ISSUER, LETSENCRYPT_STAGING, zoneId),
    };
  },
};
