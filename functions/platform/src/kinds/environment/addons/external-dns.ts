import type { EnvironmentContext } from '../context.js';
import { CRITICAL_ADDONS_TOLERATION, onAws, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { GATEWAYS } from './envoy-gateway.js';
import { ONPREM_SECRET_KEYS, TSIG_SECRET } from './onprem-secrets.js';

const SERVICE_ACCOUNT = { namespace: 'external-dns', name: 'external-dns' };
/** The instance writing the VPC's private zone (AWS). */
const PRIVATE_SERVICE_ACCOUNT = { namespace: 'external-dns', name: 'external-dns-private' };

/** What every provider shares: the sources, this zone only, ownership by this cluster, placement. */
function commonValues(ctx: EnvironmentContext, serviceAccount = SERVICE_ACCOUNT, owner = ctx.clusterName): Record<string, unknown> {
  return {
    sources: ['gateway-httproute', 'gateway-grpcroute', 'service'],
    domainFilters: [ctx.zoneName],
    // Own only what this cluster wrote; the zone is this environment's alone, so deleting is safe.
    policy: 'sync',
    registry: 'txt',
    txtOwnerId: owner,
    serviceAccount: { create: true, name: serviceAccount.name },
    tolerations: [CRITICAL_ADDONS_TOLERATION],
    nodeSelector: SYSTEM_NODE_SELECTOR,
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
  };
}

/** Route53 permissions of one instance: change records in one zone, find zones. */
function zoneStatements(zoneId: string | undefined) {
  if (zoneId === undefined) return [];
  const zoneArn = `arn:aws:route53:::hostedzone/${zoneId}`;
  return [
    { Sid: 'ChangeThisZone', Effect: 'Allow' as const, Action: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'], Resource: zoneArn },
    { Sid: 'DiscoverZones', Effect: 'Allow' as const, Action: ['route53:ListHostedZones', 'route53:ListTagsForResources'], Resource: '*' },
  ];
}

/**
 * External DNS: records for Gateway API routes (and LoadBalancer Services)
 * in this environment's zone only. On AWS the public zone gets only the
 * public Gateway's routes (`--gateway-name`): internal hostnames and the
 * internal load balancer's private addresses stay out of public DNS. AWS: Route53, through a role that may
 * change records in that one zone (listing zones has no resource in AWS).
 * On-prem with `dns.provider: rfc2136`: TSIG-signed dynamic updates to the
 * configured server, the TSIG secret synced from Vault into an environment
 * variable (External DNS reads every flag from EXTERNAL_DNS_<FLAG>); with
 * `dns.provider: none` it is not installed.
 */
export const externalDns: AddonDefinition = {
  name: 'external-dns',
  chart: { repository: 'https://kubernetes-sigs.github.io/external-dns/', chart: 'external-dns', version: '1.21.1' },
  enabled: (ctx) => ctx.provider === 'aws' || ctx.onpremConfig?.dns.provider === 'rfc2136',
  waitFor: (ctx) => (ctx.provider === 'aws' ? [] : [ONPREM_SECRET_KEYS.externalDnsTsig]),
  identity: {
    serviceAccount: SERVICE_ACCOUNT,
    statements: (ctx) => zoneStatements(ctx.observedString('zone', 'zoneId')),
  },
  release(ctx) {
    const dns = ctx.onpremConfig?.dns;
    if (dns?.provider === 'rfc2136') {
      return {
        chart: 'external-dns',
        namespace: SERVICE_ACCOUNT.namespace,
        values: {
          provider: { name: 'rfc2136' },
          ...commonValues(ctx),
          extraArgs: [
            `--rfc2136-host=${dns.host}`,
            `--rfc2136-port=${dns.port}`,
            `--rfc2136-zone=${ctx.zoneName}`,
            `--rfc2136-tsig-keyname=${dns.tsigKeyName}`,
            `--rfc2136-tsig-secret-alg=${dns.tsigAlgorithm}`,
            // Zone transfers tell External DNS what is there; without them it cannot clean up.
            '--rfc2136-tsig-axfr',
          ],
          env: [{ name: 'EXTERNAL_DNS_RFC2136_TSIG_SECRET', valueFrom: { secretKeyRef: { name: TSIG_SECRET, key: 'secret' } } }],
        },
      };
    }
    const zoneId = ctx.observedString('zone', 'zoneId');
    return {
      chart: 'external-dns',
      namespace: SERVICE_ACCOUNT.namespace,
      values: {
        provider: { name: 'aws' },
        ...commonValues(ctx),
        extraArgs: ['--aws-zone-type=public', ...(zoneId !== undefined ? [`--zone-id-filter=${zoneId}`] : []), `--gateway-name=${GATEWAYS.public.name}`],
        env: [{ name: 'AWS_DEFAULT_REGION', value: ctx.region }],
      },
    };
  },
};

/**
 * The second External DNS on AWS: every Gateway's routes, internal and
 * public, into the VPC's private zone of the same name (dns.ts). That zone
 * answers for the whole name inside the VPC, so public hostnames are written
 * there as well, or they would not resolve from inside.
 */
export const externalDnsPrivate: AddonDefinition = {
  name: 'external-dns-private',
  enabled: onAws,
  identity: {
    serviceAccount: PRIVATE_SERVICE_ACCOUNT,
    statements: (ctx) => zoneStatements(ctx.observedString('zone-private', 'zoneId')),
  },
  release(ctx) {
    const zoneId = ctx.observedString('zone-private', 'zoneId');
    return {
      chart: 'external-dns',
      namespace: PRIVATE_SERVICE_ACCOUNT.namespace,
      releaseName: 'external-dns-private',
      values: {
        provider: { name: 'aws' },
        ...commonValues(ctx, PRIVATE_SERVICE_ACCOUNT, `${ctx.clusterName}-private`),
        extraArgs: ['--aws-zone-type=private', ...(zoneId !== undefined ? [`--zone-id-filter=${zoneId}`] : [])],
        env: [{ name: 'AWS_DEFAULT_REGION', value: ctx.region }],
      },
    };
  },
};
