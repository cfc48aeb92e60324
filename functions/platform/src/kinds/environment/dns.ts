import { field } from '../../resources/aws/composition.js';
import type { EnvironmentContext } from './context.js';

const COMPONENT = 'dns';

/**
 * The environment's public zone `<environment>.<region>.<domain>` (in the
 * environment's account) and its NS delegation in the parent zone, written
 * with the DNS account's ProviderConfig once Route53 has assigned the zone's
 * name servers. Beside it, a private zone of the same name associated with
 * the VPC, where every Gateway hostname (internal ones only there) resolves
 * inside the VPC.
 */
export function buildDns(ctx: EnvironmentContext): void {
  ctx.add('zone', COMPONENT, 'route53.aws.m.upbound.io/v1beta1:Zone', {
    name: ctx.zoneName,
    comment: `Catalyst Forge environment ${ctx.environment}`,
    forceDestroy: false,
    tags: ctx.tags(COMPONENT),
  });
  // Split horizon: a private zone of the same name, associated with the VPC. Inside the VPC it
  // answers for the zone, so internal Gateway hostnames resolve there and never leave the VPC.
  ctx.add('zone-private', COMPONENT, 'route53.aws.m.upbound.io/v1beta1:Zone', {
    name: ctx.zoneName,
    comment: `Catalyst Forge environment ${ctx.environment}, inside its VPC`,
    forceDestroy: false,
    vpc: [{ vpcIdRef: { name: ctx.name('vpc') }, vpcRegion: ctx.region }],
    tags: ctx.tags(COMPONENT),
  });
  const nameServers = ctx.observedStrings('zone', 'nameServers');
  ctx.add(
    'zone-delegation',
    COMPONENT,
    'route53.aws.m.upbound.io/v1beta1:Record',
    nameServers !== undefined
      ? {
      zoneId: ctx.aws.parentZoneId,
      name: ctx.zoneName,
      type: 'NS',
      ttl: ctx.config.dns?.recordTtl ?? 300,
      records: [...nameServers].sort(),
    } : ctx.waiting(field('zone', 'nameServers')),
    // Route53 zones cannot be shared: only the parent zone's account may write into it.
    { providerConfigRef: ctx.aws.dnsProviderConfig },
  );
}
