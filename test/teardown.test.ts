import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../scripts/lib/validation.js';
import { type Resources } from './helpers/settle.js';
import { settledExample } from './helpers/settled-checks.js';
import { providerNeeds, simulateTeardown } from './helpers/teardown.js';

/**
 * What AWS needs to outlive what, stated from AWS's rules rather than read off
 * usages.ts: the cluster's and database's network, key and role stay until
 * they are gone, node groups go before their cluster, encrypted stores before
 * their key.
 */
const AWS_NEEDS: Readonly<Record<string, readonly string[]>> = {
  cluster: ['vpc', 'kms-key', 'role-cluster'],
  'node-group-*': ['cluster'],
  database: ['vpc', 'kms-key', 'database-subnet-group', 'security-group-database'],
  'bucket-artifacts': ['kms-key'],
  'bucket-logs': ['kms-key'],
};

/** Usages this change added for the cluster access and Karpenter: without them teardown races. */
const ACCESS_USAGES = /^usage-(cluster-auth-by-|cluster-by-cluster-auth$|node-group-system-by-cluster-auth$|karpenter-by-|pod-identity-karpenter-by-|role-karpenter-controller-by-)/;

const without = (resources: Resources, pattern: RegExp): Resources => Object.fromEntries(Object.entries(resources).filter(([key]) => !pattern.test(key)));

const examples = readdirSync(join(REPO_ROOT, 'examples/environment'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();

describe('teardown: deleting each example Environment at its fully created state (docs/environment.md, Deletion order)', () => {
  const settled: Record<string, Resources> = {};
  beforeAll(() => {
    for (const example of examples) settled[example] = settledExample(example);
  });

  for (const example of examples) {
    it(`${example}: every composed resource goes, none stuck, each after nothing it needs`, () => {
      const resources = settled[example] as Resources;
      const result = simulateTeardown(resources, providerNeeds(resources, AWS_NEEDS));
      expect(result.stuck).toEqual([]);
      expect(Object.keys(result.round).sort()).toEqual(Object.keys(resources).sort());
      expect(result.outOfOrder).toEqual([]);
    });
  }

  it('AWS: every Release and Object goes before the ProviderConfig, ClusterAuth, node group and cluster it needs', () => {
    const resources = settled.dev as Resources;
    const { round } = simulateTeardown(resources, new Map());
    const lastOf = (pattern: RegExp) => Math.max(...Object.entries(round).filter(([key]) => pattern.test(key)).map(([, r]) => r));
    expect(round['provider-config-helm']).toBeGreaterThan(lastOf(/^release-/));
    expect(round['provider-config-kubernetes']).toBeGreaterThan(lastOf(/^object-/));
    for (const key of ['cluster-auth', 'node-group-system', 'cluster']) expect(round[key], key).toBeGreaterThan(lastOf(/^(release|object)-/));
    expect(round['cluster-auth']).toBeGreaterThan(round['provider-config-helm'] ?? Infinity);
    expect(round['node-group-system']).toBeGreaterThan(round['cluster-auth'] ?? Infinity);
    expect(round.cluster).toBeGreaterThan(round['node-group-system'] ?? Infinity);
    expect(round.vpc).toBeGreaterThan(round.cluster ?? Infinity);
    expect(round['kms-key']).toBeGreaterThan(round.cluster ?? Infinity);
  });

  it('negative: without the cluster-access Usages, Releases and Objects race the ClusterAuth and the cluster', () => {
    const resources = without(settled.dev as Resources, ACCESS_USAGES);
    const result = simulateTeardown(resources, providerNeeds(resources, AWS_NEEDS));
    expect(result.stuck).toEqual([]);
    expect(result.outOfOrder).toContain('release-karpenter goes in round 1 while it needs cluster-auth, gone in round 1');
    expect(result.outOfOrder.some((line) => /^object-karpenter-node-class-\w+ goes in round 1 while it needs release-karpenter/.test(line))).toBe(true);
    expect(result.outOfOrder.some((line) => /^release-\S+ goes in round \d+ while it needs node-group-system/.test(line))).toBe(true);
  });

  it('negative: a Usage cycle leaves both resources stuck', () => {
    const resources = settled.dev as Resources;
    const cycle = {
      apiVersion: 'protection.crossplane.io/v1beta1',
      kind: 'Usage',
      metadata: { name: 'dev-usage-node-group-system-by-cluster' },
      spec: {
        of: { apiVersion: 'eks.aws.m.upbound.io/v1beta1', kind: 'NodeGroup', resourceRef: { name: 'dev-node-group-system' } },
        by: { apiVersion: 'eks.aws.m.upbound.io/v1beta1', kind: 'Cluster', resourceRef: { name: 'dev-cluster' } },
        replayDeletion: true,
      },
    };
    const result = simulateTeardown({ ...resources, 'usage-node-group-system-by-cluster': cycle }, new Map());
    expect(result.stuck).toEqual(expect.arrayContaining(['cluster', 'node-group-system']));
  });
});
