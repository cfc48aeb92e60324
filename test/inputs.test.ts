/**
 * Inputs refused before they reach AWS, and how refusals read: every case is a
 * whole request through runFunction, with the Fatal it must return (or, for
 * the inputs that must pass, the resources it composes).
 */
import { describe, expect, it } from 'vitest';
import { Severity, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { environmentRequired, platformConfigs, readManifest, request, storageXr, withPlatformEnvironment, type JsonObject } from './helpers/requests.js';

const dev = readManifest('examples/environment/dev.yaml');
const staging = readManifest('examples/environment/staging.yaml');
const prod = readManifest('examples/environment/prod.yaml');

/** An example Environment with its spec changed field by field (undefined removes a field). */
function edit(xr: JsonObject, spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  const merged = { ...(xr.spec as JsonObject), ...spec };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return { ...xr, metadata: { ...(xr.metadata as JsonObject), ...metadata }, spec: merged };
}

/** Another Environment as the environments requirement lists it: created at `createdAt`. */
function other(xr: JsonObject, metadata: JsonObject, spec: JsonObject = {}, createdAt = '2026-01-01T00:00:00Z'): JsonObject {
  return edit(xr, spec, { ...metadata, creationTimestamp: createdAt });
}

/** The XR under test, created after the others unless it says otherwise. */
function run(xr: JsonObject, options: { environments?: JsonObject[]; configs?: JsonObject[] } = {}): RunFunctionResponse {
  const withUid = { ...xr, metadata: { creationTimestamp: '2026-06-01T00:00:00Z', ...(xr.metadata as JsonObject), uid: 'uid-1' } };
  return runFunction(request(withUid, { required: environmentRequired(options) }), { ttlSeconds: 60 }).response;
}

function fatal(response: RunFunctionResponse): string | undefined {
  const fatals = response.results.filter((r) => r.severity === Severity.SEVERITY_FATAL);
  return fatals.length === 0 ? undefined : fatals.map((r) => r.message).join('\n');
}

const PRIVATE = '(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16); pick a block such as 10.20.0.0/16 that no other VPC of the platform uses';

describe('Environment inputs refused before they reach AWS', () => {
  const cases: Array<{ reason: string; xr: JsonObject; environments?: JsonObject[]; configs?: JsonObject[]; want: string }> = [
    // CIDRs against the Hub and its other spokes.
    {
      reason: "a spoke CIDR overlapping the Hub's egress VPC",
      xr: edit(staging, { network: { cidr: '10.0.0.0/16', hubRef: { name: 'hub', namespace: 'network-hub' } } }),
      want: 'spec.network.cidr: cannot use "10.0.0.0/16": it overlaps the egress VPC 10.0.0.0/20 of Hub network-hub/hub; pick a block outside 10.0.0.0/20',
    },
    {
      reason: 'a spoke CIDR overlapping another spoke of the same Hub created before it',
      xr: edit(staging, { network: { cidr: '10.3.0.0/17', hubRef: { name: 'hub', namespace: 'network-hub' } } }),
      environments: [other(prod, {})],
      want: 'spec.network.cidr: cannot use "10.3.0.0/17": it overlaps 10.3.0.0/16 of Environment env-prod/prod, another spoke of Hub network-hub/hub created before this one; spokes of one Hub route to each other, pick a block no other spoke uses',
    },
    {
      reason: "a workload spoke CIDR overlapping the platform cluster's VPC (a spoke of the same Hub)",
      xr: edit(staging, { network: { cidr: '10.10.0.0/16', hubRef: { name: 'hub', namespace: 'network-hub' } } }),
      want: 'spec.network.cidr: cannot use "10.10.0.0/16": it overlaps the platform cluster\'s VPC 10.10.0.0/16 (data.aws.platform.vpcCidr), another spoke of Hub network-hub/hub; pick a block outside it',
    },
    // Private ranges only.
    { reason: 'a VPC CIDR in public address space', xr: edit(dev, { network: { cidr: '11.0.0.0/16' } }), want: `spec.network.cidr: cannot use "11.0.0.0/16": a VPC must lie inside a private range ${PRIVATE}` },
    { reason: 'a VPC CIDR just past 172.16.0.0/12', xr: edit(dev, { network: { cidr: '172.32.0.0/16' } }), want: `spec.network.cidr: cannot use "172.32.0.0/16": a VPC must lie inside a private range ${PRIVATE}` },
    {
      reason: 'a VPC CIDR in the shared address space 100.64.0.0/10 (the Hub routes only RFC 1918 back to spokes)',
      xr: edit(dev, { network: { cidr: '100.64.0.0/16' } }),
      want: `spec.network.cidr: cannot use "100.64.0.0/16": a VPC must lie inside a private range ${PRIVATE}`,
    },
    // Zones from data.aws.regions.
    {
      reason: 'more zones than data.aws.regions lists for the region',
      xr: edit(dev, { region: 'us-west-1', network: { cidr: '10.1.0.0/16', availabilityZones: 3 } }),
      want: 'spec.network.availabilityZones: cannot use 3 availability zones in region us-west-1: data.aws.regions.us-west-1 lists 2 (usw1-az1, usw1-az3); set spec.network.availabilityZones to at most 2',
    },
    {
      reason: 'a region missing from data.aws.regions, naming where to add it',
      xr: edit(dev, { region: 'ap-south-2' }),
      want: 'spec.region: cannot place zones in region ap-south-2: it is not in data.aws.regions; add data.aws.regions.ap-south-2.availabilityZoneIds (the zone IDs `aws ec2 describe-availability-zones --region ap-south-2` lists) to the base EnvironmentConfig',
    },
    // Kubernetes versions from data.kubernetes.supportedVersions.
    {
      reason: 'a Kubernetes version in the spec outside the supported list',
      xr: edit(dev, { kubernetes: { version: '1.31' } }),
      want: "spec.kubernetes.version: cannot use Kubernetes 1.31: the supported versions are 1.35 (data.kubernetes.supportedVersions); pick one of them, or add 1.31 to the list once the platform's add-ons are tested with it",
    },
    {
      reason: "the config's default Kubernetes version outside the supported list",
      xr: edit(dev, { overrides: { kubernetes: { version: '1.34' } } }),
      want: "data.kubernetes.version: cannot use Kubernetes 1.34: the supported versions are 1.35 (data.kubernetes.supportedVersions); pick one of them, or add 1.34 to the list once the platform's add-ons are tested with it",
    },
    // Names that would collide with another Environment's.
    {
      reason: 'the same spec.environment twice in one account (IAM role names are global in an account), even in another region',
      xr: edit(dev, { region: 'us-east-1' }, { name: 'dev-us', namespace: 'env-dev-us' }),
      environments: [other(dev, {})],
      want: 'spec.environment: cannot use "dev" in account 111111111111: Environment env-dev/dev already does, and IAM role names (<environment>-...) are global in an account; give this environment another name (with its own EnvironmentConfig) or another account',
    },
    {
      reason: 'the same spec.environment, region and domain in another account (bucket names and the delegation record are global)',
      xr: edit(dev, { overrides: { aws: { accountId: '777777777777' } } }, { name: 'dev-2', namespace: 'env-dev-2' }),
      environments: [other(dev, {})],
      want: 'spec.environment: cannot use "dev" in region eu-central-1 under projectcatalyst.io: Environment env-dev/dev already does, and its bucket names and zone dev.eu-central-1.projectcatalyst.io would be the same; choose another environment name, region or domain',
    },
    // The domain.
    {
      reason: 'spec.domain outside the organisation domain (the delegation would go into the wrong zone)',
      xr: edit(dev, { domain: 'example.org' }),
      want: 'spec.domain: cannot use "example.org": it is not projectcatalyst.io or under it, and the delegation record goes into that domain\'s zone (data.dns.parentZoneId)',
    },
    {
      reason: 'no domain in the EnvironmentConfig and none in the spec',
      xr: edit(dev, { overrides: { dns: { domain: null } } }),
      want: 'data.dns.domain: required when provider is aws: the organisation domain the environment zones go under; set it in the base EnvironmentConfig, or spec.domain to override it for one Environment',
    },
    // Every problem at once.
    {
      reason: 'several problems of one spec, all in one Fatal sorted by field path',
      xr: edit(dev, { region: undefined, network: { cidr: '8.8.0.0/16' }, kubernetes: { version: '1.30' }, domain: 'example.org' }),
      want: [
        'spec.domain: cannot use "example.org"',
        'spec.kubernetes.version: cannot use Kubernetes 1.30',
        'spec.network.cidr: cannot use "8.8.0.0/16"',
        'spec.region: required when provider is aws: the AWS region, such as eu-central-1',
      ].join('.*; '),
    },
  ];
  for (const tc of cases) {
    it(tc.reason, () => {
      const response = run(tc.xr, { ...(tc.environments !== undefined ? { environments: tc.environments } : {}), ...(tc.configs !== undefined ? { configs: tc.configs } : {}) });
      expect(response.results).toHaveLength(1);
      const message = fatal(response) ?? '';
      const name = `${String((tc.xr.metadata as JsonObject).namespace)}/${String((tc.xr.metadata as JsonObject).name)}`;
      expect(message.startsWith(`cannot compose Environment ${name}: `), message).toBe(true);
      if (tc.want.includes('.*')) expect(message).toMatch(new RegExp(tc.want.replace(/[()[\]]/g, '\\$&')));
      else expect(message).toContain(tc.want);
    });
  }
});

describe('Environment inputs that pass', () => {
  const zoneOf = (response: RunFunctionResponse): unknown =>
    ((response.desired?.resources?.zone?.resource?.spec as JsonObject | undefined)?.forProvider as JsonObject | undefined)?.name;
  const cases: Array<{ reason: string; xr: JsonObject; environments?: JsonObject[]; zone?: string }> = [
    { reason: 'the domain comes from data.dns.domain when the spec has none', xr: dev, zone: 'dev.eu-central-1.projectcatalyst.io' },
    { reason: 'spec.domain overrides it with a subdomain', xr: edit(dev, { domain: 'eu.projectcatalyst.io' }), zone: 'dev.eu-central-1.eu.projectcatalyst.io' },
    {
      reason: 'the Environment created first keeps its names when a later one collides (the later one is refused, not both)',
      xr: edit(dev, {}, { creationTimestamp: '2026-01-01T00:00:00Z' }),
      environments: [other(dev, { name: 'dev-us', namespace: 'env-dev-us' }, { region: 'us-east-1' }, '2026-06-01T00:00:00Z'), other(dev, {}, {}, '2026-01-01T00:00:00Z')],
    },
    {
      reason: 'a spoke keeps its CIDR when a later spoke of the same Hub overlaps it',
      xr: edit(prod, {}, { creationTimestamp: '2026-01-01T00:00:00Z' }),
      environments: [other(staging, {}, { network: { cidr: '10.3.0.0/17', hubRef: { name: 'hub', namespace: 'network-hub' } } }, '2026-06-01T00:00:00Z'), other(prod, {}, {}, '2026-01-01T00:00:00Z')],
    },
    {
      reason: 'overlapping CIDRs are fine when they never meet: a standalone Environment beside a spoke',
      xr: edit(dev, { network: { cidr: '10.3.0.0/16' } }, { name: 'dev-2', namespace: 'env-dev-2' }),
      environments: [other(prod, {})],
    },
    {
      reason: 'the XR itself in the environments list is not another Environment',
      xr: dev,
      environments: [other(dev, {}), other(staging, {}), other(prod, {})],
    },
    {
      reason: 'every example Environment beside all the others, as a platform cluster fetches them',
      xr: staging,
      environments: ['dev', 'staging', 'prod', 'prod-standalone', 'onprem'].map((name) => readManifest(`examples/environment/${name}.yaml`)),
    },
  ];
  for (const tc of cases) {
    it(tc.reason, () => {
      const response = run(tc.xr, tc.environments !== undefined ? { environments: tc.environments } : {});
      expect(fatal(response)).toBeUndefined();
      expect(Object.keys(response.desired?.resources ?? {}).length).toBeGreaterThan(0);
      if (tc.zone !== undefined) expect(zoneOf(response)).toBe(tc.zone);
    });
  }
});

describe('how refusals read', () => {
  const cases: Array<{ reason: string; run: () => RunFunctionResponse; want: string }> = [
    {
      reason: 'an unknown field in an XR spec suggests the nearest known one',
      run: () => runFunction(request(storageXr({ clas: 'fast', size: '20Gi' }), { required: withPlatformEnvironment() }), { ttlSeconds: 60 }).response,
      want: 'cannot compose Storage forge-api/data: spec: unknown field "clas" (did you mean "class"?)',
    },
    {
      reason: 'a nested unknown field suggests too, and a field nothing resembles gets no guess',
      run: () => run(edit(dev, { network: { cidr: '10.1.0.0/16', availabiltyZones: 2 }, colour: 'blue' })),
      want: 'cannot compose Environment env-dev/dev: spec: unknown field "colour"; spec.network: unknown field "availabiltyZones" (did you mean "availabilityZones"?)',
    },
    {
      reason: 'an unknown field in EnvironmentConfig data suggests the nearest known one, naming the config',
      run: () => {
        const configs = platformConfigs().map((c) => ((c.metadata as JsonObject).name === 'dev' ? { ...c, data: { ...(c.data as JsonObject), netwrok: { availabilityZones: 2 } } } : c));
        return run(dev, { configs });
      },
      want: 'cannot compose Environment env-dev/dev: cannot use EnvironmentConfig "dev": data: unknown field "netwrok" (did you mean "network"?)',
    },
    {
      reason: 'a value of the wrong type shows what the field takes, with an example',
      run: () => runFunction(request(storageXr({ class: 'fast', size: 20 }), { required: withPlatformEnvironment() }), { ttlSeconds: 60 }).response,
      want: 'cannot compose Storage forge-api/data: spec.size: expected a size such as 512Mi, 20Gi or 2Ti (a whole number of Mi, Gi or Ti), got a number',
    },
    {
      reason: 'a number given as a string says which numbers the field takes',
      run: () => run(edit(dev, { network: { cidr: '10.1.0.0/16', availabilityZones: 'two' } })),
      want: 'cannot compose Environment env-dev/dev: spec.network.availabilityZones: expected a whole number from 2 to 3, got a string',
    },
    {
      reason: 'every schema error of a spec at once, sorted by path (not in the order zod found them)',
      run: () => run(edit(dev, { region: 'Frankfurt', environment: 'Dev', network: { cidr: 42 } })),
      want: 'cannot compose Environment env-dev/dev: spec.environment: must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit; spec.network.cidr: expected an IPv4 CIDR such as 10.1.0.0/16, got a number; spec.region: must be an AWS region such as eu-central-1',
    },
    {
      reason: 'config errors from several EnvironmentConfigs at once, each naming the config it came from',
      run: () => {
        const configs = platformConfigs().map((c) => {
          const name = (c.metadata as JsonObject).name;
          const data = c.data as JsonObject;
          if (name === 'dev') return { ...c, data: { ...data, database: { ...(data.database as JsonObject), instanceClass: 'large' } } };
          if (name === 'base') return { ...c, data: { ...data, buckets: { logRetentionDays: 0, noncurrentVersionRetentionDays: 30 } } };
          return c;
        });
        return run(dev, { configs });
      },
      want: 'cannot compose Environment env-dev/dev: cannot use the merged EnvironmentConfig: data.buckets.logRetentionDays: too small: expected number to be >=1 (EnvironmentConfig "base"); data.database.instanceClass: must be an RDS instance class such as db.t4g.medium (EnvironmentConfig "dev")',
    },
  ];
  for (const tc of cases) {
    it(tc.reason, () => {
      const response = tc.run();
      expect(response.results).toHaveLength(1);
      expect(fatal(response)).toBe(tc.want);
    });
  }
});
