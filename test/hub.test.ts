import { describe, expect, it } from 'vitest';
import type { RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { AwsNetwork, fp } from './aws/network.js';
import { environmentRequired, hubRequired, readManifest, request, type JsonObject } from './helpers/requests.js';
import { environmentComputed, hubComputed, settle, type Resources } from './helpers/settle.js';

const HUB_XR = readManifest('examples/hub/hub.yaml');

function renderHub(observed: Resources): RunFunctionResponse {
  return runFunction(request(HUB_XR, { required: hubRequired(), observed }), { ttlSeconds: 60 }).response;
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

describe('Hub', () => {
  const hub = settle(renderHub, hubComputed);
  const hubStatus = hub.response.desired?.composite?.resource?.status as JsonObject;
  const hubWithStatus = { ...HUB_XR, status: hubStatus };

  it('publishes its Transit Gateway, route tables and fixed egress IPs', () => {
    expect(hubStatus).toEqual({
      transitGatewayId: 'tgw-hub',
      ownerAccountId: '444444444444',
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
  const hubNatIps = Object.fromEntries(['a', 'b', 'c'].map((z) => [`hub-nat-gateway-${z}`, String(hubComputed(`eip-nat-${z}`).publicIp)]));
  const account = (environment: string) => String((readManifest(`environment-configs/${environment}.yaml`).data as { aws: { accountId: string } }).aws.accountId);
  const network = new AwsNetwork(
    { name: 'hub', vpc: { resources: hub.resources, account: '444444444444', natIps: hubNatIps }, ids: hubComputed },
    Object.fromEntries(spokes.map((s) => [s.environment, { resources: rendered[s.environment] ?? {}, account: account(s.environment), clusterSecurityGroup: `sg-${s.environment}`, natIps: {} }])),
  );
  const where = (r: { at: string } | { dropped: string }) => ('dropped' in r ? `dropped: ${r.dropped}` : r.at);
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
      const source = network.node(from);
      expect(where(network.route(source, to === 'internet' ? '203.0.113.7' : host[to]))).toBe(want);
      // And the reply finds its way back where the request got through.
      if (to === 'internet') expect(where(network.replyFromInternet(source.ip))).toBe(from);
      else if (!want.startsWith('dropped')) expect(where(network.route(network.node(to), source.ip))).toBe(from);
    });
  }

  it('shares its Transit Gateway through AWS RAM, within the organization, with the listed accounts', () => {
    expect(fp(hub.resources['ram-share'])).toMatchObject({ allowExternalPrincipals: false });
    expect(fp(hub.resources['ram-association-transit-gateway'])).toMatchObject({ resourceArn: 'arn:aws:ec2:eu-central-1:444444444444:transit-gateway/tgw-hub', resourceShareArnRef: { name: 'hub-ram-share' } });
    expect(Object.values(hub.resources).filter((r) => r.kind === 'PrincipalAssociation').map((r) => fp(r).principal)).toEqual(['222222222222', '333333333333']);
    // Attachments are accepted one by one, by the Environments that own them.
    expect(fp(hub.resources['transit-gateway'])).toMatchObject({ autoAcceptSharedAttachments: 'disable' });
  });

  it('places subnets by zone ID from the base EnvironmentConfig', () => {
    expect(fp(hub.resources['subnet-public-a']).availabilityZoneId).toBe('euc1-az1');
    expect(fp(hub.resources['subnet-public-c']).availabilityZoneId).toBe('euc1-az3');
  });
});

describe('Hub inputs refused before they reach AWS', () => {
  const withSpec = (spec: JsonObject): JsonObject => ({ ...HUB_XR, spec: { ...(HUB_XR.spec as JsonObject), ...spec } });
  const base = readManifest('environment-configs/base.yaml');
  const cases: Array<{ reason: string; xr: JsonObject; configs?: JsonObject[]; want: string }> = [
    {
      reason: 'more zones than the region has in data.aws.regions',
      xr: withSpec({ region: 'us-west-1', egress: { cidr: '10.0.0.0/20', availabilityZones: 3, natGateways: 1 } }),
      want: 'spec.egress.availabilityZones: cannot use 3 availability zones in region us-west-1: data.aws.regions.us-west-1 lists 2 (usw1-az1, usw1-az3); set spec.egress.availabilityZones to at most 2',
    },
    {
      reason: 'a region missing from data.aws.regions',
      xr: withSpec({ region: 'me-central-1' }),
      want: 'spec.region: cannot place zones in region me-central-1: it is not in data.aws.regions; add data.aws.regions.me-central-1.availabilityZoneIds (the zone IDs `aws ec2 describe-availability-zones --region me-central-1` lists) to the base EnvironmentConfig',
    },
    {
      reason: 'more NAT gateways than zones',
      xr: withSpec({ egress: { cidr: '10.0.0.0/20', availabilityZones: 2, natGateways: 3 } }),
      want: 'spec.egress.natGateways: cannot place 3 NAT gateways in 2 zones (spec.egress.availabilityZones); at most one per zone',
    },
    {
      reason: 'an egress network outside /16 to /24',
      xr: withSpec({ egress: { cidr: '10.0.0.0/26' } }),
      want: 'spec.egress.cidr: "10.0.0.0/26" must be a /16 to /24 network, not /26',
    },
    {
      reason: 'an egress VPC outside the private ranges (spokes route only RFC 1918 back through it)',
      xr: withSpec({ egress: { cidr: '100.64.0.0/20' } }),
      want: 'spec.egress.cidr: cannot use "100.64.0.0/20": a VPC must lie inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16); pick a block such as 10.20.0.0/16 that no other VPC of the platform uses',
    },
    {
      reason: "an egress VPC overlapping the platform cluster's VPC (data.aws.platform.vpcCidr), a spoke of the Hub",
      xr: withSpec({ egress: { cidr: '10.10.0.0/20' } }),
      want: 'spec.egress.cidr: cannot use "10.10.0.0/20": it overlaps the platform cluster\'s VPC 10.10.0.0/16 (data.aws.platform.vpcCidr), a spoke of this Hub; pick a block outside it',
    },
    {
      reason: 'every problem at once, sorted by field path',
      xr: withSpec({ region: 'us-west-1', egress: { cidr: '8.8.0.0/26', availabilityZones: 3, natGateways: 3 } }),
      want: 'spec.egress.availabilityZones: cannot use 3 availability zones in region us-west-1: data.aws.regions.us-west-1 lists 2 (usw1-az1, usw1-az3); set spec.egress.availabilityZones to at most 2; spec.egress.cidr: cannot use "8.8.0.0/26": a VPC must lie inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16); pick a block such as 10.20.0.0/16 that no other VPC of the platform uses; spec.egress.cidr: "8.8.0.0/26" must be a /16 to /24 network, not /26',
    },
    {
      reason: 'no base EnvironmentConfig to read the zone table from',
      xr: HUB_XR,
      configs: [],
      want: 'cannot find EnvironmentConfig labelled platform.projectcatalyst.io/environment=base: it is required and does not exist',
    },
    {
      reason: 'a zone table entry with a misspelt field suggests the right one',
      xr: HUB_XR,
      configs: [{ ...base, data: { aws: { regions: { 'eu-central-1': { availabilityZoneId: ['euc1-az1', 'euc1-az2'] } } } } }],
      want: 'cannot use EnvironmentConfig "base": data.aws.regions.eu-central-1: unknown field "availabilityZoneId" (did you mean "availabilityZoneIds"?)',
    },
  ];
  for (const tc of cases) {
    it(tc.reason, () => {
      const { response } = runFunction(request(tc.xr, { required: hubRequired(tc.configs !== undefined ? { configs: tc.configs } : {}) }), { ttlSeconds: 60 });
      expect(response.results).toHaveLength(1);
      expect(response.results[0]?.message).toContain(`cannot compose Hub network-hub/hub: ${tc.want}`);
    });
  }
});
