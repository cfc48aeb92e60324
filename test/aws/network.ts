/**
 * A packet model of rendered AWS networks, read from the manifests alone:
 * VPC route tables (local, NAT, internet gateway, Transit Gateway, S3 gateway
 * endpoint), the Hub's Transit Gateway tables (association, propagation,
 * static and blackhole routes), security groups (composed ingress rules, and
 * what EKS's cluster security group admits by itself), VPC interface
 * endpoints with private DNS, and the EKS API endpoints (private, and public
 * limited by publicAccessCidrs). What AWS does that the manifests do not say
 * is written down where it is assumed:
 * - EKS's cluster security group admits everything from its own members and
 *   lets everything out; nodes (managed and Karpenter), pods (VPC CNI) and the
 *   private API endpoint's ENIs are its members.
 * - Security groups the provider creates have no egress rule (Terraform
 *   revokes AWS's default), so composed groups only receive; replies pass
 *   because security groups are stateful.
 * - A security group referenced by a rule only matches sources in the same VPC
 *   (no referencing across the Transit Gateway).
 * - No network ACLs are composed, so the default ACL admits everything.
 */
import { parseCidr, type Ipv4Block } from '../../functions/platform/src/resources/cidr.js';
import type { Resources } from '../helpers/settle.js';

type JsonObject = Record<string, unknown>;

export const fp = (r: JsonObject | undefined): JsonObject => ((r?.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;
export const nameOf = (r: JsonObject): string => (r.metadata as { name: string }).name;
const refName = (v: unknown): string | undefined => (v as { name?: string } | undefined)?.name;

export function ipToNumber(ip: string): number {
  return parseCidr(`${ip}/32`).base;
}

export function contains(block: Ipv4Block, ip: number): boolean {
  return ip >= block.base && ip < block.base + 2 ** (32 - block.prefix);
}

function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export interface Hop {
  cidr: Ipv4Block;
  target: string;
}

export function longestMatch(hops: readonly Hop[], ip: number): Hop | undefined {
  return hops.filter((h) => contains(h.cidr, ip)).sort((a, b) => b.cidr.prefix - a.cidr.prefix)[0];
}

const byKind = (resources: Resources, kind: string): JsonObject[] => Object.values(resources).filter((r) => r.kind === kind);
const byName = (resources: Resources, name: string): JsonObject | undefined => Object.values(resources).find((r) => nameOf(r) === name);

/** The route table (metadata.name) a subnet (metadata.name) is associated with. */
function routeTableOf(resources: Resources, subnet: string): string | undefined {
  for (const a of byKind(resources, 'RouteTableAssociation')) if (refName(fp(a).subnetIdRef) === subnet) return refName(fp(a).routeTableIdRef);
  return undefined;
}

/** Routes of one VPC route table (by metadata.name), plus the VPC's local route. */
export function vpcRoutes(resources: Resources, routeTable: string): Hop[] {
  const vpc = byKind(resources, 'VPC')[0];
  const hops: Hop[] = [{ cidr: parseCidr(String(fp(vpc).cidrBlock)), target: 'local' }];
  for (const route of byKind(resources, 'Route')) {
    const p = fp(route);
    if (refName(p.routeTableIdRef) !== routeTable) continue;
    const target = p.transitGatewayId !== undefined || p.transitGatewayIdRef !== undefined ? 'tgw' : p.natGatewayIdRef !== undefined ? `nat:${refName(p.natGatewayIdRef)}` : p.gatewayIdRef !== undefined ? 'igw' : 'unknown';
    hops.push({ cidr: parseCidr(String(p.destinationCidrBlock)), target });
  }
  return hops;
}

/** Whether the S3 gateway endpoint's prefix list is routed in this route table. */
function s3GatewayIn(resources: Resources, routeTable: string): boolean {
  const gateways = byKind(resources, 'VPCEndpoint').filter((e) => fp(e).vpcEndpointType === 'Gateway' && String(fp(e).serviceName).endsWith('.s3'));
  return gateways.some((g) => byKind(resources, 'VPCEndpointRouteTableAssociation').some((a) => refName(fp(a).vpcEndpointIdRef) === nameOf(g) && refName(fp(a).routeTableIdRef) === routeTable));
}

/** A VPC in the model: its resources, and what AWS reports for it. */
export interface VpcInput {
  resources: Resources;
  /** The account the VPC lives in: attachments from another account than the Hub's carry traffic only once accepted. */
  account: string;
  /** The EKS cluster security group id AWS reported (environments only). */
  clusterSecurityGroup?: string;
  /** NAT gateway metadata.name -> its public (Elastic) IP. */
  natIps: Record<string, string>;
}

/** A place packets leave from or go to. */
export interface Host {
  vpc: string;
  ip: string;
  subnet: string;
  /** Security groups: ids, or metadata.names of composed groups. */
  groups: string[];
}

/** Public services (outside every VPC) addressed by the flows. */
export const INTERNET_HOST = '203.0.113.7';

export class AwsNetwork {
  /** Transit Gateway route table id -> routes (target: attachment name or 'blackhole'). */
  readonly tgwTables = new Map<string, Hop[]>();
  /** Attachment name -> the route table id it is associated with. */
  readonly associations = new Map<string, string>();
  /** Attachment name -> the VPC behind it. */
  readonly attachments = new Map<string, string>();

  constructor(
    readonly hub: { name: string; vpc: VpcInput; ids: (key: string) => JsonObject } | undefined,
    readonly vpcs: Record<string, VpcInput>,
  ) {
    const addRoute = (table: string, hop: Hop) => this.tgwTables.set(table, [...(this.tgwTables.get(table) ?? []), hop]);
    if (hub !== undefined) {
      const resources = hub.vpc.resources;
      const tableId = (name: string) => String(hub.ids(name.replace(new RegExp(`^${hub.name}-`), '')).id);
      for (const r of Object.values(resources)) {
        const p = fp(r);
        if (r.kind === 'TransitGatewayRoute') {
          addRoute(tableId(refName(p.transitGatewayRouteTableIdRef) ?? ''), {
            cidr: parseCidr(String(p.destinationCidrBlock)),
            target: p.blackhole === true ? 'blackhole' : `${hub.name}:${refName(p.transitGatewayAttachmentIdRef) ?? ''}`,
          });
        }
        if (r.kind === 'TransitGatewayRouteTableAssociation') this.associations.set(`${hub.name}:${refName(p.transitGatewayAttachmentIdRef) ?? ''}`, tableId(refName(p.transitGatewayRouteTableIdRef) ?? ''));
        if (r.kind === 'TransitGatewayVPCAttachment') this.attachments.set(`${hub.name}:${nameOf(r)}`, hub.name);
      }
      vpcs[hub.name] = hub.vpc;
    }
    for (const [name, vpc] of Object.entries(vpcs)) {
      if (name === hub?.name) continue;
      const cidr = parseCidr(String(fp(byKind(vpc.resources, 'VPC')[0]).cidrBlock));
      const accepted = new Set(byKind(vpc.resources, 'TransitGatewayVPCAttachmentAccepter').map((a) => refName(fp(a).transitGatewayAttachmentIdRef)));
      for (const r of Object.values(vpc.resources)) {
        const p = fp(r);
        // Attachments are keyed `<vpc>:<metadata.name>`: two compositions may use the same names.
        if (r.kind === 'TransitGatewayVPCAttachment') this.attachments.set(`${name}:${nameOf(r)}`, name);
        const ref = refName(p.transitGatewayAttachmentIdRef);
        if (ref === undefined) continue;
        const attachment = `${name}:${ref}`;
        // An attachment on another account's Transit Gateway carries nothing until its owner accepts it.
        const usable = accepted.has(ref) || vpc.account === hub?.vpc.account;
        if (!usable) continue;
        if (r.kind === 'TransitGatewayRouteTableAssociation') this.associations.set(attachment, String(p.transitGatewayRouteTableId));
        if (r.kind === 'TransitGatewayRouteTablePropagation') addRoute(String(p.transitGatewayRouteTableId), { cidr, target: attachment });
      }
    }
  }

  private vpc(name: string): VpcInput {
    const vpc = this.vpcs[name];
    if (vpc === undefined) throw new Error(`no VPC ${name}`);
    return vpc;
  }

  cidrOf(name: string): Ipv4Block {
    return parseCidr(String(fp(byKind(this.vpc(name).resources, 'VPC')[0]).cidrBlock));
  }

  /** A host in the first subnet of a tier ('private', 'database'), `offset` addresses in. */
  host(vpc: string, tier: string, groups: string[], offset = 10): Host {
    const resources = this.vpc(vpc).resources;
    const subnet = byKind(resources, 'Subnet').filter((s) => (fp(s).tags as Record<string, string>).tier === tier).sort((a, b) => nameOf(a).localeCompare(nameOf(b)))[0];
    if (subnet === undefined) throw new Error(`${vpc} has no ${tier} subnet`);
    return { vpc, ip: numberToIp(parseCidr(String(fp(subnet).cidrBlock)).base + offset), subnet: nameOf(subnet), groups };
  }

  /** A node (or pod: the VPC CNI gives pods the node's groups) of an environment. */
  node(vpc: string): Host {
    return this.host(vpc, 'private', [this.clusterGroup(vpc)]);
  }

  /** The private EKS API endpoint's ENI: a member of the cluster security group. */
  eksPrivateEndpoint(vpc: string): Host {
    return this.host(vpc, 'private', [this.clusterGroup(vpc)], 20);
  }

  /** The database instance, in its subnet group's first subnet, with its security groups. */
  database(vpc: string): Host {
    const instance = byKind(this.vpc(vpc).resources, 'Instance')[0];
    return this.host(vpc, 'database', ((fp(instance).vpcSecurityGroupIdRefs ?? []) as Array<{ name: string }>).map((r) => r.name));
  }

  private clusterGroup(vpc: string): string {
    const id = this.vpc(vpc).clusterSecurityGroup;
    if (id === undefined) throw new Error(`${vpc} has no cluster security group`);
    return id;
  }

  /** Whether `to`'s security groups admit `from` on `port`. */
  admits(from: Host, to: Host, port: number): boolean {
    const resources = this.vpc(to.vpc).resources;
    const cluster = this.vpc(to.vpc).clusterSecurityGroup;
    for (const group of to.groups) {
      // EKS's own rule on its cluster security group: everything from its members.
      if (group === cluster && from.vpc === to.vpc && from.groups.includes(group)) return true;
      for (const rule of byKind(resources, 'SecurityGroupIngressRule')) {
        const p = fp(rule);
        if ((p.securityGroupId ?? refName(p.securityGroupIdRef)) !== group) continue;
        const proto = String(p.ipProtocol);
        const inRange = proto === '-1' || (proto === 'tcp' && Number(p.fromPort) <= port && port <= Number(p.toPort));
        if (!inRange) continue;
        if (typeof p.cidrIpv4 === 'string' && contains(parseCidr(p.cidrIpv4), ipToNumber(from.ip))) return true;
        const referenced = p.referencedSecurityGroupId ?? refName(p.referencedSecurityGroupIdRef);
        if (referenced !== undefined && from.vpc === to.vpc && from.groups.includes(String(referenced))) return true;
      }
    }
    return false;
  }

  /**
   * Where a packet from `from` to the private address `ip` ends up: a VPC
   * name, 'internet' (with the public address it left from), or a drop.
   */
  route(from: Host, ip: string): { at: string; publicIp?: string } | { dropped: string } {
    const resources = this.vpc(from.vpc).resources;
    const table = routeTableOf(resources, from.subnet);
    if (table === undefined) return { dropped: `${from.subnet} has no route table` };
    const target = ipToNumber(ip);
    const hop = longestMatch(vpcRoutes(resources, table), target);
    if (hop === undefined) return { dropped: `no route from ${from.vpc}` };
    if (hop.target === 'local') return { at: from.vpc };
    if (hop.target.startsWith('nat:')) return this.throughNat(from.vpc, hop.target.slice(4), target);
    if (hop.target === 'igw') return { dropped: `${from.subnet} has no public address for the internet gateway` };
    if (hop.target !== 'tgw') return { dropped: `unknown route target ${hop.target}` };
    const attachment = [...this.attachments].find(([, v]) => v === from.vpc)?.[0];
    if (attachment === undefined) return { dropped: `${from.vpc} routes to a Transit Gateway it is not attached to` };
    return this.throughTransitGateway(attachment, target);
  }

  private throughNat(vpc: string, nat: string, ip: number): { at: string; publicIp?: string } | { dropped: string } {
    if (['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].some((range) => contains(parseCidr(range), ip))) return { dropped: `${numberToIp(ip)} is private: not routable on the internet` };
    const resources = this.vpc(vpc).resources;
    const natSubnet = refName(fp(byName(resources, nat)).subnetIdRef) ?? '';
    const out = longestMatch(vpcRoutes(resources, routeTableOf(resources, natSubnet) ?? ''), ip);
    if (out?.target !== 'igw') return { dropped: `${vpc}: the NAT's subnet has no internet route` };
    const publicIp = this.vpc(vpc).natIps[nat];
    if (publicIp === undefined) return { dropped: `${nat} has no public address` };
    return { at: 'internet', publicIp };
  }

  private throughTransitGateway(attachment: string, ip: number, hops = 0): { at: string; publicIp?: string } | { dropped: string } {
    if (hops > 4) return { dropped: 'loop' };
    const table = this.associations.get(attachment);
    if (table === undefined) return { dropped: `${attachment} is not associated` };
    const route = longestMatch(this.tgwTables.get(table) ?? [], ip);
    if (route === undefined) return { dropped: 'no Transit Gateway route' };
    if (route.target === 'blackhole') return { dropped: 'blackhole' };
    const next = this.attachments.get(route.target);
    if (next === undefined) return { dropped: `unknown attachment ${route.target}` };
    if (next !== this.hub?.name) return contains(this.cidrOf(next), ip) ? { at: next } : { dropped: 'not in the VPC routed to' };
    // In the egress VPC: attachment subnet -> NAT -> public subnet.
    const hubResources = this.hub.vpc.resources;
    const fromAttachment = longestMatch(vpcRoutes(hubResources, `${this.hub.name}-route-table-attachment-a`), ip);
    if (fromAttachment === undefined || !fromAttachment.target.startsWith('nat:')) return { dropped: 'attachment subnet has no NAT route' };
    const out = longestMatch(vpcRoutes(hubResources, `${this.hub.name}-route-table-public`), ip);
    if (out?.target === 'igw') return this.throughNat(this.hub.name, fromAttachment.target.slice(4), ip);
    if (out?.target === 'tgw') return this.throughTransitGateway(`${this.hub.name}:${this.hub.name}-tgw-attachment-egress`, ip, hops + 1);
    return { dropped: 'egress VPC has no route' };
  }

  /** A reply from the internet arriving at the Hub's NAT for the private address `ip`: where it ends up. */
  replyFromInternet(ip: string): { at: string; publicIp?: string } | { dropped: string } {
    if (this.hub === undefined) return { dropped: 'no Hub' };
    const hop = longestMatch(vpcRoutes(this.hub.vpc.resources, `${this.hub.name}-route-table-public`), ipToNumber(ip));
    if (hop?.target !== 'tgw') return { dropped: 'no route back from the egress VPC' };
    return this.throughTransitGateway(`${this.hub.name}:${this.hub.name}-tgw-attachment-egress`, ipToNumber(ip));
  }

  /** A TCP connection from `from` to the host `to` on `port`: 'ok' or why not. */
  connect(from: Host, to: Host, port: number): string {
    const path = this.route(from, to.ip);
    if ('dropped' in path) return `dropped: ${path.dropped}`;
    if (path.at !== to.vpc) return `dropped: arrived in ${path.at}, not ${to.vpc}`;
    // The reply must find its way back as well.
    const back = this.route(to, from.ip);
    if ('dropped' in back || back.at !== from.vpc) return `dropped: no way back (${'dropped' in back ? back.dropped : back.at})`;
    return this.admits(from, to, port) ? 'ok' : `dropped: security groups of ${to.groups.join(', ')} refuse port ${port}`;
  }

  /** From `from` to the internet: 'ok' with the public address it leaves from, or why not. */
  toInternet(from: Host): string {
    const path = this.route(from, INTERNET_HOST);
    if ('dropped' in path) return `dropped: ${path.dropped}`;
    return path.at === 'internet' ? `internet from ${path.publicIp}` : `dropped: arrived in ${path.at}`;
  }

  /** A connection from the internet to a private host: never routable unless the host has a public address. */
  fromInternet(to: Host): string {
    const resources = this.vpc(to.vpc).resources;
    const subnet = byName(resources, to.subnet);
    const publicSubnet = fp(subnet).mapPublicIpOnLaunch === true && longestMatch(vpcRoutes(resources, routeTableOf(resources, to.subnet) ?? ''), ipToNumber(INTERNET_HOST))?.target === 'igw';
    const instance = byKind(resources, 'Instance')[0];
    const publicDatabase = to.groups.some((g) => ((fp(instance).vpcSecurityGroupIdRefs ?? []) as Array<{ name: string }>).some((r) => r.name === g)) && fp(instance).publiclyAccessible === true;
    if (!publicSubnet && !publicDatabase) return `dropped: ${to.ip} has no public address`;
    return this.admits({ vpc: 'internet', ip: INTERNET_HOST, subnet: '', groups: [] }, to, 443) ? 'ok' : 'dropped: security groups';
  }

  /**
   * From `from` to the environment `env`'s EKS API on 443. Which endpoint
   * answers is DNS's choice: inside the cluster's VPC the name resolves to the
   * private endpoint; elsewhere to the private addresses only when the public
   * endpoint is off (reached then through whatever routes there), else to the
   * public endpoint, which admits only publicAccessCidrs (0.0.0.0/0 unset).
   */
  toEksApi(from: Host, env: string): string {
    const cluster = byKind(this.vpc(env).resources, 'Cluster')[0];
    const access = (fp(cluster).vpcConfig ?? {}) as { endpointPrivateAccess?: boolean; endpointPublicAccess?: boolean; publicAccessCidrs?: string[] };
    const isPublic = access.endpointPublicAccess === true;
    if (access.endpointPrivateAccess === true && (from.vpc === env || !isPublic)) {
      const verdict = this.connect(from, this.eksPrivateEndpoint(env), 443);
      return verdict === 'ok' ? 'ok: private endpoint' : verdict;
    }
    if (!isPublic) return 'dropped: no endpoint';
    const out = this.route(from, INTERNET_HOST);
    if ('dropped' in out) return `dropped: ${out.dropped}`;
    if (out.at !== 'internet') return `dropped: arrived in ${out.at}`;
    const cidrs = access.publicAccessCidrs ?? ['0.0.0.0/0'];
    return cidrs.some((c) => contains(parseCidr(c), ipToNumber(out.publicIp ?? '0.0.0.0'))) ? `ok: public endpoint from ${out.publicIp}` : `dropped: public endpoint refuses ${out.publicIp}`;
  }

  /**
   * From `from` to an AWS service: through an interface endpoint with private
   * DNS in the VPC (names resolve to its ENIs), an S3 gateway endpoint on the
   * subnet's route table, or else over the internet path.
   */
  toService(from: Host, service: 'ecr.api' | 'ecr.dkr' | 's3' | 'sts'): string {
    const resources = this.vpc(from.vpc).resources;
    if (service === 's3') {
      const table = routeTableOf(resources, from.subnet);
      if (table !== undefined && s3GatewayIn(resources, table)) return 'ok: gateway endpoint';
    } else {
      const endpoint = byKind(resources, 'VPCEndpoint').find((e) => fp(e).vpcEndpointType === 'Interface' && String(fp(e).serviceName).endsWith(`.${service}`) && fp(e).privateDnsEnabled === true);
      if (endpoint !== undefined) {
        const subnets = byKind(resources, 'VPCEndpointSubnetAssociation').filter((a) => refName(fp(a).vpcEndpointIdRef) === nameOf(endpoint));
        const groups = byKind(resources, 'VPCEndpointSecurityGroupAssociation').filter((a) => refName(fp(a).vpcEndpointIdRef) === nameOf(endpoint)).map((a) => String(refName(fp(a).securityGroupIdRef)));
        const subnet = subnets.map((a) => refName(fp(a).subnetIdRef)).sort()[0];
        if (subnet === undefined) return `dropped: the ${service} endpoint has no subnet`;
        const eni = { ...this.host(from.vpc, 'private', groups, 30), subnet };
        const verdict = this.connect(from, eni, 443);
        return verdict === 'ok' ? 'ok: interface endpoint' : verdict;
      }
    }
    const out = this.toInternet(from);
    return out.startsWith('internet') ? `ok: ${out}` : out;
  }
}
