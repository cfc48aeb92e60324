import { CRITICAL_ADDONS_TOLERATION, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

const SERVICE_ACCOUNT = { namespace: 'external-dns', name: 'external-dns' };

/**
 * External DNS: records for Gateway API routes (and LoadBalancer Services)
 * in this environment's zone only. Its role may change records in that one
 * zone; listing zones has no resource in AWS.
 */
export const externalDns: AddonDefinition = {
  name: 'external-dns',
  enabled: () => true,
  identity: {
    serviceAccount: SERVICE_ACCOUNT,
    statements(ctx) {
      const zoneId = ctx.observedString('zone', 'zoneId');
      if (zoneId === undefined) return [];
      const zoneArn = `arn:aws:route53:::hostedzone/${zoneId}`;
      return [
        { Sid: 'ChangeThisZone', Effect: 'Allow', Action: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'], Resource: zoneArn },
        { Sid: 'DiscoverZones', Effect: 'Allow', Action: ['route53:ListHostedZones', 'route53:ListTagsForResources'], Resource: '*' },
      ];
    },
  },
  release(ctx) {
    const zoneId = ctx.observedString('zone', 'zoneId');
    return {
      chart: 'external-dns',
      namespace: SERVICE_ACCOUNT.namespace,
      values: {
        provider: { name: 'aws' },
        sources: ['gateway-httproute', 'gateway-grpcroute', 'service'],
        domainFilters: [ctx.zoneName],
        // Own only what this cluster wrote; the zone is this environment's alone, so deleting is safe.
        policy: 'sync',
        registry: 'txt',
        txtOwnerId: ctx.clusterName,
        extraArgs: ['--aws-zone-type=public', ...(zoneId !== undefined ? [`--zone-id-filter=${zoneId}`] : [])],
        env: [{ name: 'AWS_DEFAULT_REGION', value: ctx.region }],
        serviceAccount: { create: true, name: SERVICE_ACCOUNT.name },
        tolerations: [CRITICAL_ADDONS_TOLERATION],
        nodeSelector: SYSTEM_NODE_SELECTOR,
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      },
    };
  },
};
