import { describe, expect, it } from 'vitest';
import type { RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { parseCidr, type Ipv4Block } from '../functions/platform/src/resources/cidr.js';
import { environmentRequired, readManifest, request, type JsonObject } from './helpers/requests.js';
import { environmentComputed, settle, type Resources } from './helpers/settle.js';

const HUB_XR = readManifest('examples/hub/hub.yaml');


const fp = (r: JsonObject | undefined): JsonObject => ((r?.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;
const nameOf = (r: JsonObject): string => (r.metadata as { name: string }).name;

const hubIds = (key: string): JsonObject => {
  if (key === 'transit-gateway') return { id: 'tgw-hub' };
  const table = /^tgw-route-table-(.+)$/.exec(key);
  if (table) return { id: `tgw-rtb-${table[1]}` };
  if (key === 'tgw-attachment-egress') return { id: 'tgw-attach-egress' };
  const eip = /^eip-nat-(.)$/.exec(key);
  if (eip) return { publicIp: `198.51.100.${(eip[1] ?? 'a').charCodeAt(0) - 96}` };
  if (key === 'vpc') return { id: 'vpc-egress' };
  return {};
};

function renderHub(observed: Resources): RunFunctionResponse {
  return runFunction(request(HUB_XR, { required: {}, observed }), { ttlSeconds: 60 }).response;
}

interface Spoke {
  environment: string;
  role: 'workload' | 'platform';
  cidr: string;
}

function renderSpoke(spoke: Spoke, hub: JsonObject, observed: Resources): RunFunctionResponse {
  const xr = {
    apiVersion: 'platform.projectcatalyst.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: spoke.environment, namespace: `env-${spoke.environment}`, uid: 'u' },
    spec: { environment: spoke.environment, role: spoke.role, region: 'eu-central-1', domain: 'projectcatalyst.io', network: { cidr: spoke.cidr, hubRef: { name: 'hub', namespace: 'network-hub' } } },
  };
  const required = environmentRequired({ hubs: [hub] });
  return runFunction(request(xr, { required, observed }), { ttlSeconds: 60 }).response;
}

// --- A router over the rendered manifests alone ---------------------------------------

function ipToNumber(ip: string): number {
  return parseCidr(`${ip}/32`).base;
}

function contains(block: Ipv4Block, ip: number): boolean {
  return ip >= block.base && ip < block.base + 2 ** (32 - block.prefix);
}

interface Hop {
  cidr: Ipv4Block;
  target: string;
}

function longestMatch(hops: readonly Hop[], ip: number): Hop | undefined {
  return hops.filter((h) => contains(h.cidr, ip)).sort((a, b) => b.cidr.prefix - a.cidr.prefix)[0];
}

/** Routes of one VPC route table (by metadata.name), plus the VPC's local route. */
function vpcRoutes(resources: Resources, routeTable: string): Hop[] {
  const vpc = Object.values(resources).find((r) => r.kind === 'VPC');
  const hops: Hop[] = [{ cidr: parseCidr(String(fp(vpc).cidrBlock)), target: 'local' }];
  for (const route of Object.values(resources).filter((r) => r.kind === 'Route')) {
    const p = fp(route);
    if ((p.routeTableIdRef as { name: string }).name !== routeTable) continue;
    const target = p.transitGatewayId !== undefined || p.transitGatewayIdRef !== undefined ? 'tgw' : p.natGatewayIdRef !== undefined ? 'nat' : p.gatewayIdRef !== undefined ? 'igw' : 'unknown';
    hops.push({ cidr: parseCidr(String(p.destinationCidrBlock)), target });
  }
  return hops;
}

class Network {
  /** Transit Gateway route table id -> routes (target: attachment name or 'blackhole'). */
  readonly tgwTables = new Map<string, Hop[]>();
  /** Attachment name -> the route table id it is associated with. */
  readonly associations = new Map<string, string>();
  /** Attachment name -> the spoke behind it (or 'egress'). */
  readonly attachments = new Map<string, { environment: string; cidr: Ipv4Block; resources: Resources }>();

  constructor(
    readonly hub: Resources,
    readonly spokes: Record<string, Resources>,
  ) {
    const tableId = (name: string) => `tgw-rtb-${name.replace(/^hub-tgw-route-table-/, '')}`;
    const addRoute = (table: string, hop: Hop) => this.tgwTables.set(table, [...(this.tgwTables.get(table) ?? []), hop]);
    for (const r of Object.values(hub)) {
      const p = fp(r);
      if (r.kind === 'TransitGatewayRoute') {
        addRoute(tableId((p.transitGatewayRouteTableIdRef as { name: string }).name), {
          cidr: parseCidr(String(p.destinationCidrBlock)),
          target: p.blackhole === true ? 'blackhole' : (p.transitGatewayAttachmentIdRef as { name: string }).name,
        });
      }
      if (r.kind === 'TransitGatewayRouteTableAssociation') {
        this.associations.set((p.transitGatewayAttachmentIdRef as { name: string }).name, tableId((p.transitGatewayRouteTableIdRef as { name: string }).name));
      }
      if (r.kind === 'TransitGatewayVPCAttachment') this.attachments.set(nameOf(r), { environment: 'egress', cidr: parseCidr(String(fp(hub.vpc).cidrBlock)), resources: hub });
    }
    for (const [environment, resources] of Object.entries(spokes)) {
      const cidr = parseCidr(String(fp(resources.vpc).cidrBlock));
      for (const r of Object.values(resources)) {
        const p = fp(r);
        if (r.kind === 'TransitGatewayVPCAttachment') {
          expect(p.transitGatewayId).toBe('tgw-hub');
          this.attachments.set(nameOf(r), { environment, cidr, resources });
        }
        const attachment = (p.transitGatewayAttachmentIdRef as { name: string } | undefined)?.name;
        if (r.kind === 'TransitGatewayRouteTableAssociation' && attachment) this.associations.set(attachment, String(p.transitGatewayRouteTableId));
        if (r.kind === 'TransitGatewayRouteTablePropagation' && attachment) addRoute(String(p.transitGatewayRouteTableId), { cidr, target: attachment });
      }
    }
  }

  private spokeAttachment(environment: string): string {
    for (const [name, a] of this.attachments) if (a.environment === environment) return name;
    throw new Error(`no attachment for ${environment}`);
  }

  /** Where a packet from `source` (an environment's private subnet) to `destination` ends up. */
  send(source: string, destination: string): string {
    const ip = ipToNumber(destination);
    const resources = this.spokes[source];
    if (resources === undefined) throw new Error(source);
    const first = longestMatch(vpcRoutes(resources, `${source}-route-table-private-a`), ip);
    if (first?.target === 'local') return source;
    if (first?.target !== 'tgw') return `dropped: no route from ${source}`;
    return this.throughTransitGateway(this.spokeAttachment(source), ip);
  }

  /** A reply from the internet, arriving at the egress NAT for `destination`. */
  replyFromInternet(destination: string): string {
    const ip = ipToNumber(destination);
    const hop = longestMatch(vpcRoutes(this.hub, 'hub-route-table-public'), ip);
    if (hop?.target !== 'tgw') return 'dropped: no route back from the egress VPC';
    return this.throughTransitGateway('hub-tgw-attachment-egress', ip);
  }

  private throughTransitGateway(attachment: string, ip: number, hops = 0): string {
    if (hops > 4) return 'dropped: loop';
    const table = this.associations.get(attachment);
    if (table === undefined) return `dropped: ${attachment} is not associated`;
    const route = longestMatch(this.tgwTables.get(table) ?? [], ip);
    if (route === undefined) return 'dropped: no Transit Gateway route';
    if (route.target === 'blackhole') return 'dropped: blackhole';
    const next = this.attachments.get(route.target);
    if (next === undefined) return `dropped: unknown attachment ${route.target}`;
    if (next.environment !== 'egress') return contains(next.cidr, ip) ? next.environment : 'dropped: not in the VPC routed to';
    // In the egress VPC: attachment subnet -> NAT -> public subnet table.
    if (longestMatch(vpcRoutes(this.hub, 'hub-route-table-attachment-a'), ip)?.target !== 'nat') return 'dropped: attachment subnet has no NAT route';
    const out = longestMatch(vpcRoutes(this.hub, 'hub-route-table-public'), ip);
    if (out?.target === 'igw') return 'internet';
    if (out?.target === 'tgw') return this.throughTransitGateway('hub-tgw-attachment-egress', ip, hops + 1);
    return 'dropped: egress VPC has no route';
  }
}

describe('Hub', () => {
  const hub = settle(renderHub, hubIds);
  const hubStatus = hub.response.desired?.composite?.resource?.status as JsonObject;
  const hubWithStatus = { ...HUB_XR, status: hubStatus };

  it('publishes its Transit Gateway, route tables and fixed egress IPs', () => {
    expect(hubStatus).toEqual({
      transitGatewayId: 'tgw-hub',
      routeTables: { egress: 'tgw-rtb-egress', workload: 'tgw-rtb-workload', platform: 'tgw-rtb-platform' },
      egressIps: ['198.51.100.1', '198.51.100.2', '198.51.100.3'],
      egressVpcId: 'vpc-egress',
    });
  });

  it('turns off default association and propagation on the Transit Gateway', () => {
    expect(fp(hub.resources['transit-gateway'])).toMatchObject({ defaultRouteTableAssociation: 'disable', defaultRouteTablePropagation: 'disable' });
  });

  const spokes: Spoke[] = [
    { environment: 'prod', role: 'platform', cidr: '10.10.0.0/16' },
    { environment: 'dev', role: 'workload', cidr: '10.20.0.0/16' },
    { environment: 'staging', role: 'workload', cidr: '10.30.0.0/16' },
  ];
  const rendered = Object.fromEntries(spokes.map((s) => [s.environment, settle((observed) => renderSpoke(s, hubWithStatus, observed), environmentComputed(s.environment)).resources]));
  const network = new Network(hub.resources, rendered);
  const host = { prod: '10.10.1.10', dev: '10.20.1.10', staging: '10.30.1.10' } as const;

  it('spokes have no NAT gateways: their only way out is the Transit Gateway', () => {
    for (const resources of Object.values(rendered)) expect(Object.values(resources).filter((r) => r.kind === 'NATGateway')).toEqual([]);
  });

  const matrix: Array<[from: keyof typeof host, to: keyof typeof host | 'internet', want: string]> = [
    ['dev', 'internet', 'internet'],
    ['staging', 'internet', 'internet'],
    ['prod', 'internet', 'internet'],
    ['dev', 'staging', 'dropped: blackhole'],
    ['staging', 'dev', 'dropped: blackhole'],
    ['dev', 'prod', 'prod'],
    ['staging', 'prod', 'prod'],
    ['prod', 'dev', 'dev'],
    ['prod', 'staging', 'staging'],
  ];
  for (const [from, to, want] of matrix) {
    it(`from the rendered routes alone: ${from} -> ${to} is ${want}`, () => {
      expect(network.send(from, to === 'internet' ? '203.0.113.7' : host[to])).toBe(want);
      // And the reply finds its way back where the request got through.
      if (to === 'internet') expect(network.replyFromInternet(host[from])).toBe(from);
      else if (!want.startsWith('dropped')) expect(network.send(to, host[from])).toBe(from);
    });
  }

  it('refuses more NAT gateways than zones, naming the field', () => {
    const xr = { ...HUB_XR, spec: { ...(HUB_XR.spec as JsonObject), egress: { cidr: '10.0.0.0/20', availabilityZones: 2, natGateways: 3 } } };
    const { response } = runFunction(request(xr, { required: {} }), { ttlSeconds: 60 });
    expect(response.results[0]?.message).toBe(
      'cannot compose Hub network-hub/hub: spec.egress.natGateways: 3 NAT gateways need as many zones; spec.egress.availabilityZones is 2',
    );
  });

  it('refuses an egress network outside /16 to /24', () => {
    const xr = { ...HUB_XR, spec: { ...(HUB_XR.spec as JsonObject), egress: { cidr: '10.0.0.0/26' } } };
    const { response } = runFunction(request(xr, { required: {} }), { ttlSeconds: 60 });
    expect(response.results[0]?.message).toBe('cannot compose Hub network-hub/hub: spec.egress.cidr: "10.0.0.0/26" must be a /16 to /24 network, not /26');
  });
});
