import { policy, policyJson, serviceTrust } from '../../resources/aws/iam-policy.js';
import { addInternetAccess, addNatGateways, addNatRoute, addRouteTable, addSubnet, addVpc } from '../../resources/aws/vpc.js';
import { subnetLayout } from '../../resources/cidr.js';
import type { EnvironmentContext } from './context.js';

const COMPONENT = 'network';

/** Keys of the subnets of one tier, in zone order. */
export function subnetKeys(ctx: EnvironmentContext, tier: 'public' | 'private' | 'database'): string[] {
  return ctx.zones.map((zone) => `subnet-${tier}-${zone}`);
}

/** References to the subnets of one tier, for `subnetIdRefs`. */
export function subnetRefs(ctx: EnvironmentContext, tier: 'public' | 'private' | 'database'): Array<{ name: string }> {
  return subnetKeys(ctx, tier).map((key) => ({ name: ctx.name(key) }));
}

/** Route table names of the Hub, by the role whose traffic they carry. */
type HubRouteTable = 'egress' | 'workload' | 'platform';

/**
 * How an environment joins the Hub: it associates its attachment with the
 * route table of its role, and propagates its routes into the tables that
 * must reach it. Workload tables never learn other workloads' routes, so
 * workloads cannot reach each other; the platform table learns everyone's.
 */
export const HUB_ROUTING: Readonly<Record<'workload' | 'platform', { associate: HubRouteTable; propagateTo: readonly HubRouteTable[] }>> = {
  workload: { associate: 'workload', propagateTo: ['egress', 'platform'] },
  platform: { associate: 'platform', propagateTo: ['egress', 'workload'] },
};

/**
 * The VPC: public, private and database subnets per zone, an internet gateway
 * for public load balancers, route tables, egress (NAT gateways, or the Hub's
 * Transit Gateway), and flow logs to CloudWatch Logs.
 */
export function buildNetwork(ctx: EnvironmentContext): void {
  const clusterTag = `kubernetes.io/cluster/${ctx.clusterName}`;
  addVpc(ctx, ctx.aws.cidr, COMPONENT);

  const layout = subnetLayout(ctx.aws.cidr);
  const tierTags = {
    public: { tier: 'public', 'kubernetes.io/role/elb': '1', [clusterTag]: 'shared' },
    private: { tier: 'private', 'kubernetes.io/role/internal-elb': '1', [clusterTag]: 'shared', 'karpenter.sh/discovery': ctx.clusterName },
    database: { tier: 'database' },
  };
  ctx.zones.forEach((zone, slot) => {
    const cidrs = layout[slot];
    if (cidrs === undefined) return;
    for (const tier of ['public', 'private', 'database'] as const) addSubnet(ctx, `subnet-${tier}-${zone}`, zone, cidrs[tier], COMPONENT, tierTags[tier]);
  });

  // Public load balancers need an internet gateway even when egress goes through the Hub.
  addInternetAccess(ctx, subnetKeys(ctx, 'public'), COMPONENT);
  // Database subnets get a table with only the local route: no way out.
  addRouteTable(ctx, 'route-table-database', subnetKeys(ctx, 'database'), COMPONENT);
  for (const zone of ctx.zones) addRouteTable(ctx, `route-table-private-${zone}`, [`subnet-private-${zone}`], COMPONENT);

  if (ctx.spec.network?.hubRef !== undefined) buildHubEgress(ctx);
  else buildNatEgress(ctx);
  buildFlowLogs(ctx);
}

/** NAT gateways with Elastic IPs: one in zone a, or one per zone with multiAzNat. */
function buildNatEgress(ctx: EnvironmentContext): void {
  const natZones = ctx.config.network.multiAzNat ? ctx.zones : ctx.zones.slice(0, 1);
  addNatGateways(ctx, natZones, COMPONENT);
  for (const zone of ctx.zones) {
    addNatRoute(ctx, `route-private-egress-${zone}`, `route-table-private-${zone}`, natZones.includes(zone) ? zone : (natZones[0] ?? zone), COMPONENT);
  }
}

/**
 * Spoke of the Hub: a Transit Gateway attachment in the private subnets,
 * associated and propagated by role, and the private default route to the
 * Transit Gateway. No NAT: workloads reach the internet only through the
 * Hub's egress VPC. Waits until the Hub has published its ids.
 */
function buildHubEgress(ctx: EnvironmentContext): void {
  const hub = ctx.aws.hub === 'pending' ? undefined : ctx.aws.hub;
  const routing = HUB_ROUTING[ctx.spec.role];
  ctx.add(
    'transit-gateway-attachment',
    COMPONENT,
    'ec2.aws.m.upbound.io/v1beta1:TransitGatewayVPCAttachment',
    hub !== undefined
      ? {
      region: ctx.region,
      transitGatewayId: hub.transitGatewayId,
      vpcIdRef: { name: ctx.name('vpc') },
      subnetIdRefs: subnetRefs(ctx, 'private'),
      dnsSupport: 'enable',
      transitGatewayDefaultRouteTableAssociation: false,
      transitGatewayDefaultRouteTablePropagation: false,
      tags: ctx.tags(COMPONENT, { Name: ctx.name('transit-gateway-attachment') }),
    } : undefined,
  );
  const attachmentRef = { name: ctx.name('transit-gateway-attachment') };
  ctx.add(
    'transit-gateway-association',
    COMPONENT,
    'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRouteTableAssociation',
    hub !== undefined
      ? { region: ctx.region, transitGatewayAttachmentIdRef: attachmentRef, transitGatewayRouteTableId: hub.routeTables[routing.associate] } : undefined,
  );
  for (const table of routing.propagateTo) {
    ctx.add(
      `transit-gateway-propagation-${table}`,
      COMPONENT,
      'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRouteTablePropagation',
      hub !== undefined
      ? { region: ctx.region, transitGatewayAttachmentIdRef: attachmentRef, transitGatewayRouteTableId: hub.routeTables[table] } : undefined,
    );
  }
  // A route to a Transit Gateway is refused until the VPC's attachment is available.
  const attached = hub !== undefined && ctx.isReady('transit-gateway-attachment');
  for (const zone of ctx.zones) {
    ctx.add(
      `route-private-egress-${zone}`,
      COMPONENT,
      'ec2.aws.m.upbound.io/v1beta1:Route',
      attached
        ? { region: ctx.region, routeTableIdRef: { name: ctx.name(`route-table-private-${zone}`) }, destinationCidrBlock: '0.0.0.0/0', transitGatewayId: hub.transitGatewayId }
        : undefined,
    );
  }
}

/** VPC flow logs (all traffic) to a CloudWatch log group, delivered by a role that may write only there. */
function buildFlowLogs(ctx: EnvironmentContext): void {
  const logGroupName = `/aws/vpc/${ctx.environment}/flow-logs`;
  const logGroupArn = ctx.arn('logs', `log-group:${logGroupName}`);
  // CloudWatch Logs encrypts at rest by default; a customer key would need a key policy for the logs service.
  ctx.add(
    'log-group-flow-logs',
    COMPONENT,
    'cloudwatchlogs.aws.m.upbound.io/v1beta1:Group',
    { region: ctx.region, retentionInDays: ctx.config.network.flowLogRetentionDays, tags: ctx.tags(COMPONENT) },
    { externalName: logGroupName },
  );
  ctx.add(
    'role-flow-logs',
    COMPONENT,
    'iam.aws.m.upbound.io/v1beta1:Role',
    {
      assumeRolePolicy: policyJson(
        serviceTrust('vpc-flow-logs.amazonaws.com', {
          StringEquals: { 'aws:SourceAccount': ctx.accountId },
          ArnLike: { 'aws:SourceArn': ctx.arn('ec2', 'vpc-flow-log/*') },
        }),
      ),
      inlinePolicy: [
        {
          name: 'write-flow-logs',
          policy: policyJson(
            policy({
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
              Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
            }),
          ),
        },
      ],
      tags: ctx.tags(COMPONENT),
    },
  );
  ctx.add('flow-log', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:FlowLog', {
    region: ctx.region,
    vpcIdRef: { name: ctx.name('vpc') },
    trafficType: 'ALL',
    logDestinationType: 'cloud-watch-logs',
    logDestination: logGroupArn,
    iamRoleArnRef: { name: ctx.name('role-flow-logs') },
    maxAggregationInterval: 60,
    tags: ctx.tags(COMPONENT),
  });
}
