import { policy, policyJson, serviceTrust } from '../../resources/aws/iam-policy.js';
import { subnetLayout } from './cidr.js';
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
  const { region } = ctx;
  const vpcRef = { name: ctx.name('vpc') };
  const clusterTag = `kubernetes.io/cluster/${ctx.clusterName}`;

  ctx.add('vpc', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:VPC', {
    region,
    cidrBlock: ctx.inputs.cidr,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: ctx.tags(COMPONENT, { Name: ctx.name('vpc') }),
  });

  const layout = subnetLayout(ctx.inputs.cidr);
  ctx.zones.forEach((zone, slot) => {
    const cidrs = layout[slot];
    if (cidrs === undefined) return;
    const tierTags = {
      public: { 'kubernetes.io/role/elb': '1', [clusterTag]: 'shared' },
      private: { 'kubernetes.io/role/internal-elb': '1', [clusterTag]: 'shared', 'karpenter.sh/discovery': ctx.clusterName },
      database: {},
    } as const;
    for (const tier of ['public', 'private', 'database'] as const) {
      const key = `subnet-${tier}-${zone}`;
      ctx.add(key, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:Subnet', {
        region,
        vpcIdRef: vpcRef,
        availabilityZone: `${region}${zone}`,
        cidrBlock: cidrs[tier],
        mapPublicIpOnLaunch: false,
        tags: ctx.tags(COMPONENT, { Name: ctx.name(key), tier, ...tierTags[tier] }),
      });
    }
  });

  // Public load balancers need an internet gateway even when egress goes through the Hub.
  ctx.add('internet-gateway', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:InternetGateway', { region, vpcIdRef: vpcRef, tags: ctx.tags(COMPONENT) });
  routeTable(ctx, 'route-table-public', subnetKeys(ctx, 'public'));
  ctx.add('route-public-internet', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:Route', {
    region,
    routeTableIdRef: { name: ctx.name('route-table-public') },
    destinationCidrBlock: '0.0.0.0/0',
    gatewayIdRef: { name: ctx.name('internet-gateway') },
  });

  // Database subnets get a table with only the local route: no way out.
  routeTable(ctx, 'route-table-database', subnetKeys(ctx, 'database'));
  for (const zone of ctx.zones) routeTable(ctx, `route-table-private-${zone}`, [`subnet-private-${zone}`]);

  if (ctx.spec.network?.hubRef !== undefined) buildHubEgress(ctx);
  else buildNatEgress(ctx);
  buildFlowLogs(ctx);
}

function routeTable(ctx: EnvironmentContext, key: string, subnets: readonly string[]): void {
  ctx.add(key, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:RouteTable', {
    region: ctx.region,
    vpcIdRef: { name: ctx.name('vpc') },
    tags: ctx.tags(COMPONENT, { Name: ctx.name(key) }),
  });
  for (const subnetKey of subnets) {
    const suffix = subnetKey.replace(/^subnet-/, '');
    ctx.add(`route-table-association-${suffix}`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:RouteTableAssociation', {
      region: ctx.region,
      routeTableIdRef: { name: ctx.name(key) },
      subnetIdRef: { name: ctx.name(subnetKey) },
    });
  }
}

/** NAT gateways with Elastic IPs: one in zone a, or one per zone with multiAzNat. */
function buildNatEgress(ctx: EnvironmentContext): void {
  const natZones = ctx.config.network.multiAzNat ? ctx.zones : ctx.zones.slice(0, 1);
  for (const zone of natZones) {
    ctx.add(`eip-nat-${zone}`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:EIP', { region: ctx.region, domain: 'vpc', tags: ctx.tags(COMPONENT) });
    ctx.add(`nat-gateway-${zone}`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:NATGateway', {
      region: ctx.region,
      allocationIdRef: { name: ctx.name(`eip-nat-${zone}`) },
      subnetIdRef: { name: ctx.name(`subnet-public-${zone}`) },
      connectivityType: 'public',
      tags: ctx.tags(COMPONENT, { Name: ctx.name(`nat-gateway-${zone}`) }),
    });
  }
  for (const zone of ctx.zones) {
    const natZone = natZones.includes(zone) ? zone : (natZones[0] ?? zone);
    ctx.add(`route-private-egress-${zone}`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:Route', {
      region: ctx.region,
      routeTableIdRef: { name: ctx.name(`route-table-private-${zone}`) },
      destinationCidrBlock: '0.0.0.0/0',
      natGatewayIdRef: { name: ctx.name(`nat-gateway-${natZone}`) },
    });
  }
}

/**
 * Spoke of the Hub: a Transit Gateway attachment in the private subnets,
 * associated and propagated by role, and the private default route to the
 * Transit Gateway. No NAT: workloads reach the internet only through the
 * Hub's egress VPC. Waits until the Hub has published its ids.
 */
function buildHubEgress(ctx: EnvironmentContext): void {
  const hub = ctx.inputs.hub === 'pending' ? undefined : ctx.inputs.hub;
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
