import { ready, type Need } from '../../resources/aws/composition.js';
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
    for (const tier of ['public', 'private', 'database'] as const) addSubnet(ctx, `subnet-${tier}-${zone}`, ctx.zoneIds[zone] ?? zone, cidrs[tier], COMPONENT, tierTags[tier]);
  });

  // Public load balancers need an internet gateway even when egress goes through the Hub.
  addInternetAccess(ctx, subnetKeys(ctx, 'public'), COMPONENT);
  // Database subnets get a table with only the local route: no way out.
  addRouteTable(ctx, 'route-table-database', subnetKeys(ctx, 'database'), COMPONENT);
  for (const zone of ctx.zones) addRouteTable(ctx, `route-table-private-${zone}`, [`subnet-private-${zone}`], COMPONENT);

  if (ctx.spec.network?.hubRef !== undefined) buildHubEgress(ctx);
  else buildNatEgress(ctx);
  buildEndpoints(ctx);
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
 * Spoke of the Hub, across accounts. The environment's account creates the
 * attachment on the Transit Gateway the Hub shares with it through AWS RAM;
 * everything else is the owner's to do, so it is written with the network
 * account's ProviderConfig (data.aws.network): accepting the attachment, and
 * associating and propagating it in the Hub's route tables (only the owner of
 * a Transit Gateway manages its route tables). The Environment composes these,
 * not the Hub: it knows its role and its attachment, and the Hub need not
 * list its spokes. Then the private default route to the Transit Gateway. No
 * NAT: workloads reach the internet only through the Hub's egress VPC. Waits
 * until the Hub has published its ids.
 */
function buildHubEgress(ctx: EnvironmentContext): void {
  const hub = ctx.aws.hub === 'pending' ? undefined : ctx.aws.hub;
  const owner = ctx.aws.network;
  if (owner === undefined) throw new Error('internal error: a spoke without data.aws.network');
  const asOwner = { providerConfigRef: owner.providerConfig };
  const routing = HUB_ROUTING[ctx.spec.role];
  const hubRef = ctx.spec.network?.hubRef;
  // Until the Hub publishes its ids, everything here waits for its status (a resource read, not composed).
  const hubNeeds: Need[] = hub === undefined && hubRef !== undefined
    ? ['status.transitGatewayId', 'status.routeTables'].map((path) => ({ resource: `Hub ${hubRef.namespace}/${hubRef.name}`, field: path }))
    : [];
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
      // The provider can neither set nor read these on a Transit Gateway shared from another account;
      // the acceptance (owner's side) sets them there.
      ...(hub.ownerAccountId === ctx.accountId ? { transitGatewayDefaultRouteTableAssociation: false, transitGatewayDefaultRouteTablePropagation: false } : {}),
      tags: ctx.tags(COMPONENT, { Name: ctx.name('transit-gateway-attachment') }),
    } : ctx.waiting(...hubNeeds),
  );
  const attachmentRef = { name: ctx.name('transit-gateway-attachment') };
  // An attachment from another account waits in pendingAcceptance until the owner accepts it;
  // one in the owner's own account is available at once and has nothing to accept.
  const sameAccount = hub?.ownerAccountId === ctx.accountId;
  if (!sameAccount) {
    ctx.add(
      'transit-gateway-attachment-accepter',
      COMPONENT,
      'ec2.aws.m.upbound.io/v1beta1:TransitGatewayVPCAttachmentAccepter',
      hub !== undefined && ctx.isReady('transit-gateway-attachment')
        ? {
            region: ctx.region,
            transitGatewayAttachmentIdRef: attachmentRef,
            transitGatewayDefaultRouteTableAssociation: false,
            transitGatewayDefaultRouteTablePropagation: false,
            tags: ctx.tags(COMPONENT, { Name: ctx.name('transit-gateway-attachment') }),
          }
        : ctx.waiting(...hubNeeds, ready('transit-gateway-attachment')),
      asOwner,
    );
  }
  const acceptance = sameAccount ? 'transit-gateway-attachment' : 'transit-gateway-attachment-accepter';
  const accepted = hub !== undefined && ctx.isReady(acceptance);
  const notAccepted = () => ctx.waiting(...hubNeeds, ready(acceptance));
  ctx.add(
    'transit-gateway-association',
    COMPONENT,
    'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRouteTableAssociation',
    accepted ? { region: ctx.region, transitGatewayAttachmentIdRef: attachmentRef, transitGatewayRouteTableId: hub.routeTables[routing.associate] } : notAccepted(),
    asOwner,
  );
  for (const table of routing.propagateTo) {
    ctx.add(
      `transit-gateway-propagation-${table}`,
      COMPONENT,
      'ec2.aws.m.upbound.io/v1beta1:TransitGatewayRouteTablePropagation',
      accepted ? { region: ctx.region, transitGatewayAttachmentIdRef: attachmentRef, transitGatewayRouteTableId: hub.routeTables[table] } : notAccepted(),
      asOwner,
    );
  }
  // A route to a Transit Gateway is refused until the VPC's attachment is available (accepted).
  for (const zone of ctx.zones) {
    ctx.add(
      `route-private-egress-${zone}`,
      COMPONENT,
      'ec2.aws.m.upbound.io/v1beta1:Route',
      accepted
        ? { region: ctx.region, routeTableIdRef: { name: ctx.name(`route-table-private-${zone}`) }, destinationCidrBlock: '0.0.0.0/0', transitGatewayId: hub.transitGatewayId }
        : notAccepted(),
    );
  }
}

/** Interface endpoints in the private subnets: image pulls (ECR API and registry) and STS for IRSA web-identity calls. */
export const INTERFACE_ENDPOINTS = { 'ecr-api': 'ecr.api', 'ecr-dkr': 'ecr.dkr', sts: 'sts' } as const;

/**
 * VPC endpoints, so the heavy and credential traffic stays in the VPC: an S3
 * gateway endpoint on the private route tables (ECR image layers, Loki and
 * Velero buckets; free of charge, unlike NAT or Transit Gateway processing),
 * and ECR and STS interface endpoints with private DNS in every private
 * subnet, behind a security group admitting HTTPS from the VPC only.
 */
function buildEndpoints(ctx: EnvironmentContext): void {
  const vpcRef = { name: ctx.name('vpc') };
  ctx.add('security-group-endpoints', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:SecurityGroup', {
    region: ctx.region,
    name: ctx.name('endpoints'),
    description: `VPC interface endpoints of ${ctx.environment}: HTTPS from the VPC only`,
    vpcIdRef: vpcRef,
    revokeRulesOnDelete: true,
    tags: ctx.tags(COMPONENT),
  });
  ctx.add('security-group-rule-endpoints-from-vpc', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:SecurityGroupIngressRule', {
    region: ctx.region,
    securityGroupIdRef: { name: ctx.name('security-group-endpoints') },
    cidrIpv4: ctx.aws.cidr,
    ipProtocol: 'tcp',
    fromPort: 443,
    toPort: 443,
    description: 'HTTPS from the VPC',
    tags: ctx.tags(COMPONENT),
  });
  ctx.add('vpc-endpoint-s3', COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:VPCEndpoint', {
    region: ctx.region,
    vpcIdRef: vpcRef,
    serviceName: `com.amazonaws.${ctx.region}.s3`,
    vpcEndpointType: 'Gateway',
    tags: ctx.tags(COMPONENT, { Name: ctx.name('vpc-endpoint-s3') }),
  });
  for (const zone of ctx.zones) {
    ctx.add(`vpc-endpoint-s3-route-table-${zone}`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:VPCEndpointRouteTableAssociation', {
      region: ctx.region,
      vpcEndpointIdRef: { name: ctx.name('vpc-endpoint-s3') },
      routeTableIdRef: { name: ctx.name(`route-table-private-${zone}`) },
    });
  }
  for (const [key, service] of Object.entries(INTERFACE_ENDPOINTS)) {
    const endpointRef = { name: ctx.name(`vpc-endpoint-${key}`) };
    ctx.add(`vpc-endpoint-${key}`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:VPCEndpoint', {
      region: ctx.region,
      vpcIdRef: vpcRef,
      serviceName: `com.amazonaws.${ctx.region}.${service}`,
      vpcEndpointType: 'Interface',
      privateDnsEnabled: true,
      tags: ctx.tags(COMPONENT, { Name: ctx.name(`vpc-endpoint-${key}`) }),
    });
    ctx.add(`vpc-endpoint-${key}-security-group`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:VPCEndpointSecurityGroupAssociation', {
      region: ctx.region,
      vpcEndpointIdRef: endpointRef,
      securityGroupIdRef: { name: ctx.name('security-group-endpoints') },
      // The VPC's default security group would admit everything from its members; ours admits HTTPS from the VPC.
      replaceDefaultAssociation: true,
    });
    for (const zone of ctx.zones) {
      ctx.add(`vpc-endpoint-${key}-subnet-${zone}`, COMPONENT, 'ec2.aws.m.upbound.io/v1beta1:VPCEndpointSubnetAssociation', {
        region: ctx.region,
        vpcEndpointIdRef: endpointRef,
        subnetIdRef: { name: ctx.name(`subnet-private-${zone}`) },
      });
    }
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
