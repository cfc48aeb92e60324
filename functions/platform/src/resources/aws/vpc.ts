import type { AwsComposition } from './composition.js';

/** Composition-resource key of the VPC every network builder attaches to. */
export const VPC_KEY = 'vpc';

/** A VPC with DNS support (EKS and private zones need both settings). */
export function addVpc(ctx: AwsComposition, cidr: string, component: string): void {
  ctx.add(VPC_KEY, component, 'ec2.aws.m.upbound.io/v1beta1:VPC', {
    region: ctx.region,
    cidrBlock: cidr,
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: ctx.tags(component, { Name: ctx.name(VPC_KEY) }),
  });
}

/** A subnet of the VPC in one zone, placed by zone ID (see zones.ts). */
export function addSubnet(ctx: AwsComposition, key: string, zoneId: string, cidr: string, component: string, tags: Record<string, string>): void {
  ctx.add(key, component, 'ec2.aws.m.upbound.io/v1beta1:Subnet', {
    region: ctx.region,
    vpcIdRef: { name: ctx.name(VPC_KEY) },
    availabilityZoneId: zoneId,
    cidrBlock: cidr,
    mapPublicIpOnLaunch: false,
    tags: ctx.tags(component, { Name: ctx.name(key), ...tags }),
  });
}

/** A route table of the VPC and its associations with `subnets` (keys `route-table-association-<subnet suffix>`). */
export function addRouteTable(ctx: AwsComposition, key: string, subnets: readonly string[], component: string): void {
  ctx.add(key, component, 'ec2.aws.m.upbound.io/v1beta1:RouteTable', {
    region: ctx.region,
    vpcIdRef: { name: ctx.name(VPC_KEY) },
    tags: ctx.tags(component, { Name: ctx.name(key) }),
  });
  for (const subnetKey of subnets) {
    const suffix = subnetKey.replace(/^subnet-/, '');
    ctx.add(`route-table-association-${suffix}`, component, 'ec2.aws.m.upbound.io/v1beta1:RouteTableAssociation', {
      region: ctx.region,
      routeTableIdRef: { name: ctx.name(key) },
      subnetIdRef: { name: ctx.name(subnetKey) },
    });
  }
}

/** An internet gateway, and a public route table sending 0.0.0.0/0 to it from `publicSubnets`. */
export function addInternetAccess(ctx: AwsComposition, publicSubnets: readonly string[], component: string): void {
  ctx.add('internet-gateway', component, 'ec2.aws.m.upbound.io/v1beta1:InternetGateway', { region: ctx.region, vpcIdRef: { name: ctx.name(VPC_KEY) }, tags: ctx.tags(component) });
  addRouteTable(ctx, 'route-table-public', publicSubnets, component);
  ctx.add('route-public-internet', component, 'ec2.aws.m.upbound.io/v1beta1:Route', {
    region: ctx.region,
    routeTableIdRef: { name: ctx.name('route-table-public') },
    destinationCidrBlock: '0.0.0.0/0',
    gatewayIdRef: { name: ctx.name('internet-gateway') },
  });
}

/** NAT gateways (`nat-gateway-<zone>`) with fixed Elastic IPs (`eip-nat-<zone>`) in the public subnet of each zone. */
export function addNatGateways(ctx: AwsComposition, zones: readonly string[], component: string): void {
  for (const zone of zones) {
    ctx.add(`eip-nat-${zone}`, component, 'ec2.aws.m.upbound.io/v1beta1:EIP', { region: ctx.region, domain: 'vpc', tags: ctx.tags(component, { Name: ctx.name(`eip-nat-${zone}`) }) });
    ctx.add(`nat-gateway-${zone}`, component, 'ec2.aws.m.upbound.io/v1beta1:NATGateway', {
      region: ctx.region,
      allocationIdRef: { name: ctx.name(`eip-nat-${zone}`) },
      subnetIdRef: { name: ctx.name(`subnet-public-${zone}`) },
      connectivityType: 'public',
      tags: ctx.tags(component, { Name: ctx.name(`nat-gateway-${zone}`) }),
    });
  }
}

/** A default route from `routeTableKey` through the NAT gateway of `natZone`. */
export function addNatRoute(ctx: AwsComposition, key: string, routeTableKey: string, natZone: string, component: string): void {
  ctx.add(key, component, 'ec2.aws.m.upbound.io/v1beta1:Route', {
    region: ctx.region,
    routeTableIdRef: { name: ctx.name(routeTableKey) },
    destinationCidrBlock: '0.0.0.0/0',
    natGatewayIdRef: { name: ctx.name(`nat-gateway-${natZone}`) },
  });
}
