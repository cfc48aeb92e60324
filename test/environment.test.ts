import { describe, expect, it } from 'vitest';
import { Severity, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { formatCidr, overlaps, parseCidr, subnetLayout } from '../functions/platform/src/resources/cidr.js';
import { environmentRequired, readManifest, request, type JsonObject } from './helpers/requests.js';
import { environmentComputed, observeAll as observeReady, settle, settleEnvironment } from './helpers/settle.js';

const HUB = readManifest('examples/required/hub.yaml');

function withUid(xr: JsonObject): JsonObject {
  return { ...xr, metadata: { ...(xr.metadata as JsonObject), uid: '00000000-0000-4000-8000-00000000e0e0' } };
}

/** Required resources as Crossplane would supply them for an Environment of `environment`. */
function required(hubs: JsonObject[] = [HUB]): Record<string, JsonObject[]> {
  return environmentRequired({ hubs });
}

function run(xr: JsonObject, observed: Record<string, JsonObject> = {}, hub: JsonObject = HUB): RunFunctionResponse {
  return runFunction(request(withUid(xr), { required: required([hub]), observed }), { ttlSeconds: 60 }).response;
}

function desired(response: RunFunctionResponse): Record<string, JsonObject> {
  expect(response.results.filter((r) => r.severity === Severity.SEVERITY_FATAL)).toEqual([]);
  return Object.fromEntries(Object.entries(response.desired?.resources ?? {}).map(([k, v]) => [k, v.resource as JsonObject]));
}

function forProvider(resource: JsonObject | undefined): JsonObject {
  return ((resource?.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;
}

function status(response: RunFunctionResponse): JsonObject {
  return (response.desired?.composite?.resource?.status ?? {}) as JsonObject;
}

function keysMatching(resources: Record<string, JsonObject>, pattern: RegExp): string[] {
  return Object.keys(resources).filter((k) => pattern.test(k)).sort();
}

/** What AWS reports once a resource exists, for the fields builders wait on. */
const AT_PROVIDER: Record<string, JsonObject> = {
  vpc: { id: 'vpc-0abc', ownerId: '111111111111' },
  'kms-key': { arn: 'arn:aws:kms:eu-central-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
  cluster: {
    endpoint: 'https://ABCDEF.gr7.eu-central-1.eks.amazonaws.com',
    identity: [{ oidc: [{ issuer: 'https://oidc.eks.eu-central-1.amazonaws.com/id/ABCDEF' }] }],
    vpcConfig: { clusterSecurityGroupId: 'sg-0cluster' },
  },
  'launch-template-system': { id: 'lt-0abc', latestVersion: 3 },
  'role-ebs-csi': { arn: 'arn:aws:iam::111111111111:role/dev-role-ebs-csi' },
  zone: { zoneId: 'Z0DEVZONE', nameServers: ['ns-2.awsdns-02.net', 'ns-1.awsdns-01.org'] },
  database: {
    address: 'dev-database.abc.eu-central-1.rds.amazonaws.com',
    port: 5432,
    masterUserSecret: [{ secretArn: 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:rds!db-0a1b2c3d-AbCdEf' }],
  },
  'transit-gateway-attachment': { id: 'tgw-attach-0abc' },
};

/** Everything desired exists, Ready, reporting what AWS would (roles their ARN). */
function observeAll(resources: Record<string, JsonObject>): Record<string, JsonObject> {
  return observeReady(resources, (key) => AT_PROVIDER[key] ?? (key.startsWith('role-') ? { arn: `arn:aws:iam::111111111111:role/${key}` } : {}));
}

const dev = readManifest('examples/environment/dev.yaml');
const staging = readManifest('examples/environment/staging.yaml');
const prod = readManifest('examples/environment/prod.yaml');
const prodStandalone = readManifest('examples/environment/prod-standalone.yaml');

describe('Environment renders per environment', () => {
  it('dev: 2 zones, one NAT gateway, small single-AZ database without deletion protection', () => {
    const r = desired(run(dev));
    expect(keysMatching(r, /^subnet-/)).toEqual(['subnet-database-a', 'subnet-database-b', 'subnet-private-a', 'subnet-private-b', 'subnet-public-a', 'subnet-public-b']);
    expect(keysMatching(r, /^nat-gateway-/)).toEqual(['nat-gateway-a']);
    expect(keysMatching(r, /^transit-gateway/)).toEqual([]);
    expect(forProvider(r['route-private-egress-b'])).toMatchObject({ natGatewayIdRef: { name: 'dev-nat-gateway-a' } });
    expect(forProvider(r.database)).toMatchObject({ instanceClass: 'db.t4g.small', multiAz: false, deletionProtection: false, storageEncrypted: true, publiclyAccessible: false });
    expect((r.database?.spec as JsonObject).managementPolicies).toBeUndefined();
  });

  it('staging: a spoke of the Hub with no NAT, accepted, associated with the workload table and propagated to egress and platform by the network account', () => {
    const first = desired(run(staging));
    // Until the attachment exists and is accepted, nothing waits on the Hub's route tables.
    expect(keysMatching(first, /^transit-gateway-(association|propagation|attachment-accepter)/)).toEqual([]);
    const r = settleEnvironment(staging).resources;
    expect(keysMatching(r, /^(nat-gateway|eip)-/)).toEqual([]);
    expect(forProvider(r['transit-gateway-attachment'])).toMatchObject({ transitGatewayId: 'tgw-0123456789abcdef0' });
    // Not settable on a shared Transit Gateway: the owner's acceptance sets them.
    expect(forProvider(r['transit-gateway-attachment']).transitGatewayDefaultRouteTableAssociation).toBeUndefined();
    expect(forProvider(r['transit-gateway-attachment-accepter'])).toMatchObject({ transitGatewayDefaultRouteTableAssociation: false, transitGatewayDefaultRouteTablePropagation: false });
    expect((r['transit-gateway-attachment']?.spec as JsonObject).providerConfigRef).toEqual({ kind: 'ProviderConfig', name: 'aws-staging' });
    const network = { kind: 'ClusterProviderConfig', name: 'aws-network' };
    for (const key of ['transit-gateway-attachment-accepter', 'transit-gateway-association', 'transit-gateway-propagation-egress', 'transit-gateway-propagation-platform']) {
      expect((r[key]?.spec as JsonObject).providerConfigRef, key).toEqual(network);
    }
    expect(forProvider(r['transit-gateway-association'])).toMatchObject({ transitGatewayRouteTableId: 'tgw-rtb-0workload0000000002' });
    expect(keysMatching(r, /^transit-gateway-propagation-/)).toEqual(['transit-gateway-propagation-egress', 'transit-gateway-propagation-platform']);
    expect((r['zone-delegation']?.spec as JsonObject).providerConfigRef).toEqual({ kind: 'ClusterProviderConfig', name: 'aws-dns' });
    expect(keysMatching(r, /^subnet-private-/)).toHaveLength(3);
    expect(forProvider(r.database)).toMatchObject({ multiAz: true, deletionProtection: true });
  });

  it('prod: stateful resources are orphaned on deletion, overrides apply last, only listed admins get access', () => {
    const r = desired(run(prod, observeAll(desired(run(prod)))));
    for (const key of ['database', 'bucket-artifacts', 'bucket-logs', 'kms-key']) {
      expect((r[key]?.spec as JsonObject).managementPolicies, key).toEqual(['Observe', 'Create', 'Update', 'LateInitialize']);
    }
    expect((r.vpc?.spec as JsonObject).managementPolicies).toBeUndefined();
    expect(forProvider(r.database)).toMatchObject({ instanceClass: 'db.m7g.2xlarge', multiAz: true, deletionProtection: true, backupRetentionPeriod: 30, skipFinalSnapshot: false });
    expect(forProvider(r.database)).toMatchObject({
      performanceInsightsEnabled: true,
      performanceInsightsRetentionPeriod: 93,
      performanceInsightsKmsKeyId: AT_PROVIDER['kms-key']?.arn,
      monitoringInterval: 15,
      monitoringRoleArnRef: { name: 'prod-role-database-monitoring' },
      backupWindow: '02:00-03:00',
      maintenanceWindow: 'sun:03:30-sun:04:30',
    });
    // Unique per Environment (its uid), so a second Environment of the same name, deleted again, does not collide.
    expect(forProvider(r.database).finalSnapshotIdentifier).toMatch(/^prod-database-final-[0-9a-f]{12}$/);
    expect(JSON.parse(forProvider(r['role-database-monitoring']).assumeRolePolicy as string)).toMatchObject({ Statement: [{ Principal: { Service: 'monitoring.rds.amazonaws.com' } }] });
    expect(forProvider(r['log-group-database'])).toMatchObject({ retentionInDays: 365 });
    expect((r['log-group-database']?.metadata as JsonObject).annotations).toMatchObject({ 'crossplane.io/external-name': '/aws/rds/instance/prod-database/postgresql' });
    expect(forProvider(r['log-group-cluster'])).toMatchObject({ retentionInDays: 365 });
    expect(forProvider(r.cluster)).toMatchObject({ version: '1.35', upgradePolicy: { supportType: 'STANDARD' } });
  });

  it('prod without a Hub: one NAT gateway per zone, each zone routing through its own', () => {
    const r = desired(run(prodStandalone));
    expect(keysMatching(r, /^nat-gateway-/)).toEqual(['nat-gateway-a', 'nat-gateway-b', 'nat-gateway-c']);
    for (const zone of ['a', 'b', 'c']) expect(forProvider(r[`route-private-egress-${zone}`])).toMatchObject({ natGatewayIdRef: { name: `prod-nat-gateway-${zone}` } });
  });

  it('names are deterministic, DNS-safe and within AWS limits', () => {
    const r = desired(run(prod));
    for (const resource of Object.values(r)) {
      const metadata = resource.metadata as { name: string; annotations?: Record<string, string> };
      expect(metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(metadata.name.length).toBeLessThanOrEqual(63);
      if (resource.kind === 'Role') expect(metadata.name.length).toBeLessThanOrEqual(64);
    }
    const bucket = (r['bucket-artifacts']?.metadata as { annotations: Record<string, string> }).annotations['crossplane.io/external-name'];
    expect(bucket).toBe('prod-eu-central-1-projectcatalyst-io-artifacts');
  });

  it('tags every AWS resource that takes tags with environment, component and managed-by', () => {
    const r = desired(run(dev));
    const tagged = Object.values(r).filter((res) => forProvider(res).tags !== undefined);
    expect(tagged.length).toBeGreaterThan(30);
    for (const res of tagged) expect(forProvider(res).tags).toMatchObject({ environment: 'dev', 'managed-by': 'crossplane' });
  });
});

describe('Environment sequencing', () => {
  for (const [name, xr, environment] of [
    ['dev', dev, 'dev'],
    ['prod', prod, 'prod'],
  ] as const) {
    it(`${name}: nothing observed, then the cluster ready, then everything ready: status fills in and nothing is dropped`, () => {
      // Step 1: nothing exists. What needs the KMS key, the cluster or the zone waits.
      const first = run(xr);
      const step1 = desired(first);
      expect(step1.cluster).toBeUndefined();
      expect(step1['node-group-system']).toBeUndefined();
      expect(step1['zone-delegation']).toBeUndefined();
      expect(step1.vpc).toBeDefined();
      expect(status(first).pendingResources).toEqual(expect.arrayContaining(['cluster', 'node-group-system', 'oidc-provider', 'zone-delegation']));
      expect(first.desired?.composite?.ready).toBe(2); // READY_FALSE while anything waits

      // Step 2: the first wave exists; the cluster can be created.
      const second = run(xr, observeAll(step1));
      const step2 = desired(second);
      expect(Object.keys(step1).filter((k) => step2[k] === undefined)).toEqual([]);
      expect(forProvider(step2.cluster)).toMatchObject({ encryptionConfig: { provider: { keyArn: AT_PROVIDER['kms-key']?.arn }, resources: ['secrets'] } });
      expect(step2['zone-delegation']).toBeDefined();

      // Step 3: the cluster is ready: node group, add-ons, OIDC, access entries follow.
      const third = run(xr, observeAll(step2));
      const step3 = desired(third);
      expect(Object.keys(step2).filter((k) => step3[k] === undefined)).toEqual([]);
      expect(step3['node-group-system']).toBeDefined();
      expect(forProvider(step3['oidc-provider'])).toMatchObject({ url: 'https://oidc.eks.eu-central-1.amazonaws.com/id/ABCDEF' });

      // Then: nodes ready, the add-ons that need nodes follow, then the operators, one wave
      // per render, until nothing waits; no round ever drops what the previous one desired.
      let previous = step3;
      let fifth = run(xr, observeAll(step3));
      for (let round = 0; round < 10 && status(fifth).pendingResources !== undefined; round++) {
        const current = desired(fifth);
        expect(Object.keys(previous).filter((k) => current[k] === undefined)).toEqual([]);
        previous = current;
        fifth = run(xr, observeAll(current));
      }
      const step5 = desired(fifth);
      expect(Object.keys(previous).filter((k) => step5[k] === undefined)).toEqual([]);
      expect(status(fifth).pendingResources).toBeUndefined();
      expect(fifth.desired?.composite?.ready).toBe(0);
      expect(status(fifth)).toMatchObject({
        vpcId: 'vpc-0abc',
        clusterEndpoint: 'https://ABCDEF.gr7.eu-central-1.eks.amazonaws.com',
        oidcIssuer: 'https://oidc.eks.eu-central-1.amazonaws.com/id/ABCDEF',
        database: { endpoint: 'dev-database.abc.eu-central-1.rds.amazonaws.com', port: 5432 },
        zone: { name: `${environment}.eu-central-1.projectcatalyst.io`, id: 'Z0DEVZONE', nameServers: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.net'] },
      });
      expect(forProvider(step5['zone-delegation'])).toMatchObject({ type: 'NS', records: ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.net'] });
      expect(Object.keys(step5).filter((k) => k.startsWith('usage-')).length).toBeGreaterThan(5);
    });
  }

  it('keeps an observed resource as it is when what it was built from disappears', () => {
    const step1 = desired(run(dev));
    const step2 = desired(run(dev, observeAll(step1)));
    const observed = observeAll(step2);
    // The KMS key's ARN vanishes from the observation (an API hiccup): the cluster must stay.
    (observed['kms-key']?.status as JsonObject).atProvider = {};
    const again = desired(run(dev, observed));
    expect(forProvider(again.cluster)).toEqual(forProvider(step2.cluster));
  });

  it('refuses to remove a stateful resource the spec no longer asks for', () => {
    const step1 = desired(run(dev));
    const observed = observeAll(step1);
    observed['bucket-old'] = { ...observed['bucket-logs'], metadata: { ...(observed['bucket-logs']?.metadata as JsonObject), name: 'dev-bucket-old' } } as JsonObject;
    const response = run(dev, observed);
    expect(response.results.map((r) => r.message)).toEqual(['cannot compose Environment env-dev/dev: cannot remove "bucket-old": it holds data; delete the Environment to remove it deliberately']);
  });

  it('drops what the spec switched off: NAT gateways when the environment joins a Hub', () => {
    const standalone = desired(run(dev));
    const spoke = { ...dev, spec: { ...(dev.spec as JsonObject), network: { cidr: '10.1.0.0/16', hubRef: { name: 'hub', namespace: 'network-hub' } } } };
    const response = run(spoke, observeAll(standalone));
    const r = desired(response);
    expect(keysMatching(r, /^nat-gateway-/)).toEqual([]);
    expect(r['transit-gateway-attachment']).toBeDefined();
  });

  it('a spoke in the Hub\'s own account: nothing to accept, the attachment sets its route table defaults itself', () => {
    const xr = withUid({ ...staging, spec: { ...(staging.spec as JsonObject), overrides: { aws: { network: { accountId: '222222222222', providerConfigName: 'aws-network' } } } } });
    const hub = { ...HUB, status: { ...(HUB.status as JsonObject), ownerAccountId: '222222222222' } };
    const r = settle((observed) => runFunction(request(xr, { required: required([hub]), observed }), { ttlSeconds: 60 }).response, environmentComputed('staging')).resources;
    expect(r['transit-gateway-attachment-accepter']).toBeUndefined();
    expect(forProvider(r['transit-gateway-attachment'])).toMatchObject({ transitGatewayDefaultRouteTableAssociation: false, transitGatewayDefaultRouteTablePropagation: false });
    expect(forProvider(r['transit-gateway-association'])).toMatchObject({ transitGatewayRouteTableId: 'tgw-rtb-0workload0000000002' });
    expect(r['route-private-egress-a']).toBeDefined();
  });

  it('waits for a Hub that has not published its ids, with a warning', () => {
    const response = run(staging, {}, { ...HUB, status: {} });
    const r = desired(response);
    expect(r['transit-gateway-attachment']).toBeUndefined();
    expect(response.results).toEqual([{ severity: Severity.SEVERITY_WARNING, message: expect.stringContaining('Hub network-hub/hub has not published its Transit Gateway yet') }]);
  });
});

describe('Environment bad input', () => {
  const cases: Array<{ reason: string; xr: JsonObject; environment?: string; hub?: JsonObject | null; want: string }> = [
    { reason: 'missing region', xr: { ...dev, spec: { ...(dev.spec as JsonObject), region: undefined } }, want: 'spec.region: required when provider is aws' },
    { reason: 'malformed CIDR', xr: { ...dev, spec: { ...(dev.spec as JsonObject), network: { cidr: '10.1.0/16' } } }, want: 'spec.network.cidr: must be an IPv4 CIDR such as 10.1.0.0/16' },
    { reason: 'a /24 network', xr: { ...dev, spec: { ...(dev.spec as JsonObject), network: { cidr: '10.1.0.0/24' } } }, want: 'spec.network.cidr: "10.1.0.0/24" must be a /16 to /20 network, not /24' },
    { reason: 'host bits set', xr: { ...dev, spec: { ...(dev.spec as JsonObject), network: { cidr: '10.1.3.0/16' } } }, want: 'spec.network.cidr: "10.1.3.0/16" has host bits set; did you mean 10.1.0.0/16?' },
    { reason: 'four zones', xr: { ...dev, spec: { ...(dev.spec as JsonObject), network: { cidr: '10.1.0.0/16', availabilityZones: 4 } } }, want: 'spec.network.availabilityZones: too big: expected number to be <=3' },
    { reason: 'an unknown environment', xr: { ...dev, spec: { ...(dev.spec as JsonObject), environment: 'qa' } }, environment: 'qa', want: 'cannot find EnvironmentConfig labelled platform.projectcatalyst.io/environment=qa: it is required and does not exist' },
    { reason: 'a Hub reference that does not exist', xr: staging, environment: 'staging', hub: null, want: 'spec.network.hubRef: cannot find Hub network-hub/hub' },
    { reason: 'an environment name longer than 20 characters', xr: { ...dev, spec: { ...(dev.spec as JsonObject), environment: 'a-very-long-environment-name' } }, want: 'spec.environment: too big: expected string to have <=20 characters' },
    { reason: 'a bad admin principal', xr: { ...dev, spec: { ...(dev.spec as JsonObject), kubernetes: { adminPrincipalArns: ['root'] } } }, want: 'spec.kubernetes.adminPrincipalArns[0]: must be an IAM role or user ARN' },
    { reason: 'overrides that break the config', xr: { ...dev, spec: { ...(dev.spec as JsonObject), overrides: { network: { availabilityZones: 5 } } } }, want: 'cannot use spec.overrides: data.network.availabilityZones: too big: expected number to be <=3' },
    {
      reason: 'three zones in a region with two (config)',
      xr: { ...staging, spec: { ...(staging.spec as JsonObject), region: 'us-west-1' } },
      environment: 'staging',
      want: 'data.network.availabilityZones: cannot use 3 availability zones in region us-west-1: data.aws.regions.us-west-1 lists 2 (usw1-az1, usw1-az3); set data.network.availabilityZones to at most 2',
    },
    {
      reason: 'three zones in a region with two (spec)',
      xr: { ...dev, spec: { ...(dev.spec as JsonObject), region: 'us-west-1', network: { cidr: '10.1.0.0/16', availabilityZones: 3 } } },
      want: 'spec.network.availabilityZones: cannot use 3 availability zones in region us-west-1: data.aws.regions.us-west-1 lists 2',
    },
    {
      reason: 'a region missing from the zone table',
      xr: { ...dev, spec: { ...(dev.spec as JsonObject), region: 'me-central-1' } },
      want: 'spec.region: cannot place zones in region me-central-1: it is not in data.aws.regions; add data.aws.regions.me-central-1.availabilityZoneIds',
    },
    {
      reason: 'a Hub owned by another account than the network account',
      xr: staging,
      environment: 'staging',
      hub: { ...HUB, status: { ...(HUB.status as JsonObject), ownerAccountId: '999999999999' } },
      want: 'spec.network.hubRef: cannot attach to Hub network-hub/hub: it belongs to account 999999999999, but data.aws.network.accountId is 444444444444',
    },
    {
      reason: 'a spoke without the network account',
      xr: { ...staging, spec: { ...(staging.spec as JsonObject), overrides: { aws: { network: null } } } },
      environment: 'staging',
      want: 'data.aws.network: required with spec.network.hubRef',
    },
    { reason: 'node sizes out of order', xr: { ...dev, spec: { ...(dev.spec as JsonObject), overrides: { nodes: { system: { minSize: 4 } } } } }, want: 'data.nodes.system: must satisfy minSize <= desiredSize <= maxSize' },
  ];
  for (const tc of cases) {
    it(`${tc.reason} is a Fatal naming the field`, () => {
      const req = request(withUid(tc.xr), { required: required(tc.hub === null ? [] : [tc.hub ?? HUB]) });
      const { response } = runFunction(req, { ttlSeconds: 60 });
      expect(response.results).toHaveLength(1);
      expect(response.results[0]?.severity).toBe(Severity.SEVERITY_FATAL);
      expect(response.results[0]?.message).toContain(tc.want);
      expect(response.results[0]?.message).toMatch(/^cannot compose Environment env-dev\/dev: |^cannot compose Environment env-staging\/staging: /);
    });
  }
});

describe('subnet layout', () => {
  for (let prefix = 16; prefix <= 20; prefix++) {
    it(`/${prefix}: subnets never overlap and stay inside the VPC`, () => {
      const vpc = parseCidr(`10.20.0.0/${prefix}`);
      const blocks = subnetLayout(formatCidr(vpc)).flatMap((zone) => [zone.private, zone.public, zone.database]).map(parseCidr);
      expect(blocks).toHaveLength(9);
      for (const [i, a] of blocks.entries()) {
        expect(a.base).toBeGreaterThanOrEqual(vpc.base);
        expect(a.base + 2 ** (32 - a.prefix)).toBeLessThanOrEqual(vpc.base + 2 ** (32 - vpc.prefix));
        for (const b of blocks.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
      }
    });
  }

  it('keeps a zone\'s subnets where they are when zones are added', () => {
    expect(subnetLayout('10.1.0.0/16')[0]).toEqual({ private: '10.1.0.0/18', public: '10.1.192.0/21', database: '10.1.224.0/21' });
  });
});

describe('Kubernetes minor upgrade', () => {
  const addonVersions = { '1.33': { coredns: 'v1.11.4-eksbuild.2' }, '1.34': { coredns: 'v1.12.1-eksbuild.1' } };
  const at = (version: string) => (key: string): JsonObject => ({ ...(AT_PROVIDER[key] ?? {}), ...(key === 'cluster' ? { version } : {}), ...(key === 'role-ebs-csi' ? { arn: 'arn:aws:iam::111111111111:role/ebs' } : {}) });
  const devAt = (version: string, overrides: JsonObject = {}) => ({
    ...dev,
    // The supported list widened to the minors this upgrade walks through (the mechanics, not the list, are under test).
    spec: { ...(dev.spec as JsonObject), kubernetes: { version }, overrides: { kubernetes: { addonVersions, supportedVersions: ['1.32', '1.33', '1.34', '1.35'] }, ...overrides } },
  });
  function settleAt(version: string): Record<string, JsonObject> {
    let observed: Record<string, JsonObject> = {};
    for (let round = 0; round < 8; round++) {
      const next = desired(run(devAt(version), observed));
      observed = Object.fromEntries(Object.entries(observeAll(next)).map(([k, v]) => [k, { ...v, status: { ...(v.status as JsonObject), atProvider: at(version)(k) } }]));
    }
    return observed;
  }
  const withClusterAt = (observed: Record<string, JsonObject>, version: string) =>
    Object.fromEntries(Object.entries(observed).map(([k, v]) => [k, k === 'cluster' ? { ...v, status: { ...(v.status as JsonObject), atProvider: at(version)(k) } } : v]));

  const running133 = settleAt('1.33');

  it('changes the control plane first, then nodes and add-ons once it runs the new minor, updating in place', () => {
    const before = Object.fromEntries(Object.entries(running133).map(([k, v]) => [k, v]));
    expect(forProvider(before['node-group-system'])).toMatchObject({ version: '1.33' });
    expect(forProvider(before['addon-coredns'])).toMatchObject({ addonVersion: 'v1.11.4-eksbuild.2' });

    // Step 1: spec asks for 1.34; the cluster still runs 1.33.
    const step1 = desired(run(devAt('1.34'), running133));
    expect(forProvider(step1.cluster)).toMatchObject({ version: '1.34' });
    expect(forProvider(step1['node-group-system'])).toMatchObject({ version: '1.33' });
    expect(forProvider(step1['addon-coredns'])).toMatchObject({ addonVersion: 'v1.11.4-eksbuild.2' });

    // Step 2: the control plane reports 1.34: nodes and add-ons follow.
    const step2 = desired(run(devAt('1.34'), withClusterAt(running133, '1.34')));
    expect(forProvider(step2['node-group-system'])).toMatchObject({ version: '1.34' });
    expect(forProvider(step2['addon-coredns'])).toMatchObject({ addonVersion: 'v1.12.1-eksbuild.1' });

    // In place: the same resources under the same names, nothing added or dropped.
    for (const step of [step1, step2]) {
      expect(Object.keys(step).sort()).toEqual(Object.keys(running133).sort());
      for (const [key, resource] of Object.entries(step)) expect((resource.metadata as JsonObject).name, key).toBe((running133[key]?.metadata as JsonObject).name);
    }
  });

  it('goes one minor at a time when the spec jumps ahead', () => {
    const step = desired(run(devAt('1.35'), running133));
    expect(forProvider(step.cluster)).toMatchObject({ version: '1.34' });
  });

  it('refuses a downgrade, naming the field', () => {
    const response = run(devAt('1.32'), running133);
    expect(response.results.map((r) => r.message)).toEqual(['cannot compose Environment env-dev/dev: spec.kubernetes.version: cannot downgrade the cluster from 1.33 to 1.32']);
  });
});

describe('CNI choice', () => {
  it('does not install the VPC CNI add-on when Cilium owns pod networking', () => {
    const withCilium = { ...dev, spec: { ...(dev.spec as JsonObject), overrides: { features: { cilium: true } } } };
    const step1 = desired(run(withCilium));
    const step2 = desired(run(withCilium, observeAll(step1)));
    const step3 = desired(run(withCilium, observeAll(step2)));
    expect(step3['addon-kube-proxy']).toBeDefined();
    expect(step3['addon-vpc-cni']).toBeUndefined();
  });
});
