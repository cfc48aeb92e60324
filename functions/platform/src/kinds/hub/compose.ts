import { createHash } from 'node:crypto';
import { z } from 'zod';
import { FatalError, throwProblems, type Problem } from '../../errors.js';
import { environmentConfigsRequirement, BASE_CONFIG, ENVIRONMENT_LABEL, ENVIRONMENT_CONFIGS_REQUIREMENT, regionsSchema } from '../../environment-config/platform-config.js';
import { AwsComposition, field, ready } from '../../resources/aws/composition.js';
import { providerConfigReference } from '../../resources/aws/managed.js';
import { addInternetAccess, addNatGateways, addNatRoute, addRouteTable, addSubnet, addVpc, VPC_KEY } from '../../resources/aws/vpc.js';
import { formatCidr, overlaps, parseCidr, PRIVATE_RANGES, privateRangeProblem, subnet } from '../../resources/cidr.js';
import { zoneSlots, type ZoneSlot } from '../../resources/aws/zones.js';
import type { Composed, KindDefinition } from '../kind.js';
import { hubSpecSchema, hubStatusSchema, type HubSpec } from './schema.js';

const COMPONENT = 'hub';

/** The Transit Gateway route tables, by the traffic they carry. */
export const HUB_ROUTE_TABLES = ['egress', 'workload', 'platform'] as const;

// Private ranges: a spoke never sends them to the egress VPC, which would hairpin them back into the Transit Gateway.
export { PRIVATE_RANGES } from '../../resources/cidr.js';

/** Key-safe form of a CIDR: 10.0.0.0/8 -> 10-0-0-0-8. */
function cidrKey(cidr: string): string {
  return cidr.replace(/[./]/g, '-');
}

/**
 * Egress VPC layout per zone slot: public subnets in the first three
 * quarters, and small /28 Transit Gateway attachment subnets from the last.
 */
export function egressLayout(cidr: string): Array<{ public: string; attachment: string }> {
  let vpc;
  try {
    vpc = parseCidr(cidr);
  } catch (error) {
    throw error instanceof FatalError ? error.wrap('spec.egress.cidr') : error;
  }
  if (vpc.prefix < 16 || vpc.prefix > 24) throw new FatalError(`spec.egress.cidr: "${cidr}" must be a /16 to /24 network, not /${vpc.prefix}`);
  const lastQuarter = subnet(vpc, vpc.prefix + 2, 3);
  return [0, 1, 2].map((slot) => ({ public: formatCidr(subnet(vpc, vpc.prefix + 2, slot)), attachment: formatCidr(subnet(lastQuarter, 28, slot)) }));
}

/**
 * Routing of the Hub. Spokes associate with the table of their role and
 * propagate into the others (see the Environment's HUB_ROUTING). Here:
 * the workload and platform tables send the internet to the egress VPC and
 * black-hole every private range they did not learn, so a workload reaches
 * the platform (whose routes it learns) but never another workload; the egress
 * table learns every spoke for the return path.
 */
function buildTransitGateway(ctx: AwsComposition, spec: HubSpec): void {
  ctx.add('transit-gateway', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:TransitGateway', {
    region: ctx.region,
    description: `Catalyst Forge hub ${ctx.props.prefix}`,
    amazonSideAsn: spec.amazonSideAsn,
    defaultRouteTableAssociation: 'disable',
    defaultRouteTablePropagation: 'disable',
    autoAcceptSharedAttachments: 'disable',
    dnsSupport: 'enable',
    vpnEcmpSupport: 'enable',
    tags: ctx.tags(COMPONENT, { Name: ctx.name('transit-gateway') }),
  });
  shareTransitGateway(ctx, spec);
  for (const table of HUB_ROUTE_TABLES) {
    ctx.add(`tgw-route-table-${table}`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRouteTable', {
      region: ctx.region,
      transitGatewayIdRef: { name: ctx.name('transit-gateway') },
      tags: ctx.tags(COMPONENT, { Name: ctx.name(`tgw-route-table-${table}`) }),
    });
  }
  const egressAttachment = { name: ctx.name('tgw-attachment-egress') };
  ctx.add('tgw-association-egress', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRouteTableAssociation', {
    region: ctx.region,
    transitGatewayAttachmentIdRef: egressAttachment,
    transitGatewayRouteTableIdRef: { name: ctx.name('tgw-route-table-egress') },
  });
  for (const table of ['workload', 'platform'] as const) {
    const tableRef = { name: ctx.name(`tgw-route-table-${table}`) };
    ctx.add(`tgw-route-${table}-internet`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRoute', {
      region: ctx.region,
      transitGatewayRouteTableIdRef: tableRef,
      destinationCidrBlock: '0.0.0.0/0',
      transitGatewayAttachmentIdRef: egressAttachment,
    });
    for (const range of PRIVATE_RANGES) {
      ctx.add(`tgw-route-${table}-blackhole-${cidrKey(range)}`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRoute', {
        region: ctx.region,
        transitGatewayRouteTableIdRef: tableRef,
        destinationCidrBlock: range,
        blackhole: true,
      });
    }
  }
}

/** Key-safe, stable suffix of a RAM principal: an account id as it is, an organization or OU ARN hashed (they outgrow a name). */
function principalKey(principal: string): string {
  return /^[0-9]{12}$/.test(principal) ? principal : `org-${createHash('sha256').update(principal).digest('hex').slice(0, 10)}`;
}

/**
 * Shares the Transit Gateway through AWS RAM with the environment accounts
 * (or their organization), so they can attach their VPCs. Organization-only
 * (allowExternalPrincipals false): with RAM sharing enabled in the
 * organization, members get the share without an invitation to accept.
 * Attachments are still accepted one by one (autoAcceptSharedAttachments
 * stays disabled): the Environment that owns each attachment composes its
 * acceptance with the network account's ProviderConfig, so only attachments
 * of Environments this platform reconciles join.
 */
function shareTransitGateway(ctx: AwsComposition, spec: HubSpec): void {
  ctx.add('ram-share', COMPONENT, 'ram.aws.m.upbound.io/v1beta1:ResourceShare', {
    region: ctx.region,
    name: ctx.name('transit-gateway'),
    allowExternalPrincipals: false,
    tags: ctx.tags(COMPONENT),
  });
  const tgwArn = ctx.observedString('transit-gateway', 'arn');
  ctx.add(
    'ram-association-transit-gateway',
    COMPONENT,
    'ram.aws.m.upbound.io/v1beta1:ResourceAssociation',
    tgwArn !== undefined ? { region: ctx.region, resourceArn: tgwArn, resourceShareArnRef: { name: ctx.name('ram-share') } } : ctx.waiting(field('transit-gateway', 'arn')),
  );
  for (const principal of [...spec.sharing.principals].sort()) {
    ctx.add(`ram-principal-${principalKey(principal)}`, COMPONENT, 'ram.aws.m.upbound.io/v1beta1:PrincipalAssociation', {
      region: ctx.region,
      principal,
      resourceShareArnRef: { name: ctx.name('ram-share') },
    });
  }
}

/**
 * The egress VPC: public subnets with NAT gateways on fixed Elastic IPs,
 * attachment subnets whose default route goes to the NAT of their zone, and
 * routes back to the spokes (every private range) through the Transit Gateway.
 */
function buildEgressVpc(ctx: AwsComposition, spec: HubSpec, slots: readonly ZoneSlot[]): void {
  const zones = slots.map((s) => s.slot);
  const layout = egressLayout(spec.egress.cidr);
  addVpc(ctx, spec.egress.cidr, COMPONENT);
  slots.forEach(({ slot: zone, zoneId }, slot) => {
    const cidrs = layout[slot];
    if (cidrs === undefined) return;
    addSubnet(ctx, `subnet-public-${zone}`, zoneId, cidrs.public, COMPONENT, { tier: 'public' });
    addSubnet(ctx, `subnet-attachment-${zone}`, zoneId, cidrs.attachment, COMPONENT, { tier: 'transit-gateway-attachment' });
  });
  const publicSubnets = zones.map((z) => `subnet-public-${z}`);
  addInternetAccess(ctx, publicSubnets, COMPONENT);
  const natZones = zones.slice(0, spec.egress.natGateways);
  addNatGateways(ctx, natZones, COMPONENT);
  for (const zone of zones) {
    addRouteTable(ctx, `route-table-attachment-${zone}`, [`subnet-attachment-${zone}`], COMPONENT);
    addNatRoute(ctx, `route-attachment-egress-${zone}`, `route-table-attachment-${zone}`, natZones.includes(zone) ? zone : (natZones[0] ?? zone), COMPONENT);
  }
  ctx.add('tgw-attachment-egress', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:TransitGatewayVPCAttachment', {
    region: ctx.region,
    transitGatewayIdRef: { name: ctx.name('transit-gateway') },
    vpcIdRef: { name: ctx.name(VPC_KEY) },
    subnetIdRefs: zones.map((z) => ({ name: ctx.name(`subnet-attachment-${z}`) })),
    // Keeps both directions of a flow in one zone, so NAT sees the replies.
    applianceModeSupport: 'enable',
    dnsSupport: 'enable',
    transitGatewayDefaultRouteTableAssociation: false,
    transitGatewayDefaultRouteTablePropagation: false,
    tags: ctx.tags(COMPONENT, { Name: ctx.name('tgw-attachment-egress') }),
  });
  // A VPC route to a Transit Gateway is refused until the VPC's attachment is available.
  const attached = ctx.isReady('tgw-attachment-egress');
  for (const range of PRIVATE_RANGES) {
    ctx.add(
      `route-public-spokes-${cidrKey(range)}`,
      COMPONENT,
      'ec2.aws.m.upbound.io/v1beta1:Route',
      attached ? { region: ctx.region, routeTableIdRef: { name: ctx.name('route-table-public') }, destinationCidrBlock: range, transitGatewayIdRef: { name: ctx.name('transit-gateway') } } : ctx.waiting(ready('tgw-attachment-egress')),
    );
  }
}

/**
 * What a Hub reads of the base EnvironmentConfig: the zone table, and the
 * platform cluster's VPC (a spoke its egress VPC must not overlap). The rest
 * is the Environments' to validate.
 */
const hubConfigSchema = z
  .object({ aws: z.object({ regions: regionsSchema, platform: z.object({ vpcCidr: z.string() }).loose().optional() }).loose() })
  .loose();
type HubConfig = z.output<typeof hubConfigSchema>;

/**
 * Every input problem of a Hub at once, before anything is composed: its
 * name, its region's zones, the egress CIDR's range and size, NAT gateways
 * against zones. Returns the zone slots of the egress VPC.
 */
/** Whether two CIDRs share an address; a malformed one is reported where it is parsed. */
function cidrsOverlap(a: string, b: string): boolean {
  try {
    return overlaps(parseCidr(a), parseCidr(b));
  } catch {
    return false;
  }
}

function checkHubInputs(name: string, spec: HubSpec, config: HubConfig): ZoneSlot[] {
  const problems: Problem[] = [];
  if (name.length > 20) problems.push({ path: 'metadata.name', message: `cannot use "${name}": it is longer than 20 characters and Hub names prefix every resource name; choose a shorter name` });
  const slots = zoneSlots(config.aws.regions, spec.region, spec.egress.availabilityZones, { region: 'spec.region', count: 'spec.egress.availabilityZones' });
  if (!Array.isArray(slots)) problems.push(slots);
  const range = privateRangeProblem('spec.egress.cidr', spec.egress.cidr);
  if (range !== undefined) problems.push(range);
  const platformCidr = config.aws.platform?.vpcCidr;
  if (platformCidr !== undefined && cidrsOverlap(spec.egress.cidr, platformCidr)) {
    problems.push({ path: 'spec.egress.cidr', message: `cannot use "${spec.egress.cidr}": it overlaps the platform cluster's VPC ${platformCidr} (data.aws.platform.vpcCidr), a spoke of this Hub; pick a block outside it` });
  }
  try {
    egressLayout(spec.egress.cidr);
  } catch (error) {
    if (!(error instanceof FatalError)) throw error;
    problems.push({ path: 'spec.egress.cidr', message: error.message.replace(/^spec\.egress\.cidr: /, '') });
  }
  if (Array.isArray(slots) && spec.egress.natGateways > slots.length) {
    problems.push({ path: 'spec.egress.natGateways', message: `cannot place ${spec.egress.natGateways} NAT gateways in ${slots.length} zones (spec.egress.availabilityZones); at most one per zone` });
  }
  throwProblems(problems);
  return Array.isArray(slots) ? slots : [];
}

function hubStatus(ctx: AwsComposition, zones: readonly string[]): Record<string, unknown> {
  const status: Record<string, unknown> = {};
  const tgw = ctx.observedString('transit-gateway', 'id');
  if (tgw !== undefined) status.transitGatewayId = tgw;
  const owner = ctx.observedString('transit-gateway', 'ownerId');
  if (owner !== undefined) status.ownerAccountId = owner;
  const tables: Record<string, string> = {};
  for (const table of HUB_ROUTE_TABLES) {
    const id = ctx.observedString(`tgw-route-table-${table}`, 'id');
    if (id !== undefined) tables[table] = id;
  }
  if (Object.keys(tables).length > 0) status.routeTables = tables;
  const ips = zones.map((z) => ctx.observedString(`eip-nat-${z}`, 'publicIp')).filter((ip): ip is string => ip !== undefined);
  if (ips.length > 0) status.egressIps = ips;
  const vpc = ctx.observedString(VPC_KEY, 'id');
  if (vpc !== undefined) status.egressVpcId = vpc;
  return { ...status, ...ctx.pendingStatus() };
}

/** Hub: the Transit Gateway and the egress VPC every spoke Environment uses. */
export const hubKind: KindDefinition<HubSpec, HubConfig> = {
  kind: 'Hub',
  plural: 'hubs',
  description: 'The network hub: a Transit Gateway with egress, workload and platform route tables, and an egress VPC with fixed public IPs.',
  categories: ['platform', 'catalyst-forge'],
  printerColumns: [
    { name: 'REGION', type: 'string', jsonPath: '.spec.region' },
    { name: 'TRANSIT-GATEWAY', type: 'string', jsonPath: '.status.transitGatewayId' },
  ],
  spec: hubSpecSchema,
  status: hubStatusSchema,
  // The Hub is sized by its own spec; from the base EnvironmentConfig it reads only the
  // zone table, so its egress subnets and the spokes' attachment subnets share zone IDs.
  requirements: [environmentConfigsRequirement],
  config: () => ({ layers: [{ requirementName: ENVIRONMENT_CONFIGS_REQUIREMENT, matchLabels: { [ENVIRONMENT_LABEL]: BASE_CONFIG } }], schema: hubConfigSchema }),

  compose({ xr, spec, config, observed }): Composed {
    const slots = checkHubInputs(xr.name, spec, config);
    const ctx = new AwsComposition({
      xr,
      prefix: xr.name,
      region: spec.region,
      accountId: '',
      providerConfigRef: providerConfigReference(spec.providerConfigRef),
      observed,
      // The egress addresses are allow-listed elsewhere; losing them hurts, but they hold no data.
      retainStatefulResources: false,
      environmentTag: 'network-hub',
    });
    buildTransitGateway(ctx, spec);
    buildEgressVpc(ctx, spec, slots);
    const zones = slots.map((s) => s.slot);
    const removed = Object.keys(observed).filter((key) => ctx.resources[key] === undefined);
    return { resources: ctx.resources, status: hubStatus(ctx, zones), intentionallyRemoved: removed, ...(ctx.pending.length > 0 ? { ready: false } : {}) };
  },
};
