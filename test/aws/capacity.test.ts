import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readManifest, type JsonObject } from '../helpers/requests.js';
import { settleEnvironment, type Resources } from '../helpers/settle.js';
import { INSTANCE_TYPES } from './capacity-data.js';
import { allocatable, capacityReport, maxPods } from './capacity.js';

/** Settling a whole Environment takes seconds on a busy machine. */
const SLOW = { timeout: 120_000 };

/** Every AWS example Environment (on-prem clusters have no system node group of ours). */
const EXAMPLES = readdirSync('examples/environment')
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => file.slice(0, -'.yaml'.length))
  .filter((example) => (readManifest(`examples/environment/${example}.yaml`).spec as JsonObject).provider !== 'onprem')
  .sort();
const ROLES = ['workload', 'platform'] as const;
/** Every feature flag on: the most an environment pins to its system nodes. */
const ALL_FEATURES = { cilium: true, hubbleUi: true, falco: true, falcoKillMode: true, trivyAdmission: true, kyverno: true, veleroBackups: true, goldilocks: true, reloader: true, metricsServer: true };

const settled = new Map<string, Resources>();
function render(example: string, role: string, allFeatures = false): Resources {
  const key = `${example}/${role}/${String(allFeatures)}`;
  const cached = settled.get(key);
  if (cached !== undefined) return cached;
  const xr = readManifest(`examples/environment/${example}.yaml`);
  const spec = xr.spec as JsonObject;
  const overrides = allFeatures ? { overrides: { ...((spec.overrides as JsonObject | undefined) ?? {}), features: ALL_FEATURES } } : {};
  const { resources } = settleEnvironment({ ...xr, spec: { ...spec, role, ...overrides } });
  settled.set(key, resources);
  return resources;
}

/** The render with its system node group replaced. */
function withSystemGroup(resources: Resources, instanceTypes: string[], minSize: number): Resources {
  const group = resources['node-group-system'] as { spec: { forProvider: JsonObject } };
  const forProvider = { ...group.spec.forProvider, instanceTypes, scalingConfig: { minSize, maxSize: minSize, desiredSize: minSize } };
  return { ...resources, 'node-group-system': { ...group, spec: { ...group.spec, forProvider } } };
}

describe('capacity model: instance data', () => {
  const cases = [
    { reason: 'm5.large: 3 ENIs x 9 secondary IPs + 2 (EKS eni-max-pods)', type: 'm5.large', prefixDelegation: false, pods: 29 },
    { reason: 'm5.xlarge: 4 ENIs x 14 + 2', type: 'm5.xlarge', prefixDelegation: false, pods: 58 },
    { reason: 'm5.2xlarge: same ENIs as xlarge', type: 'm5.2xlarge', prefixDelegation: false, pods: 58 },
    { reason: 'prefix delegation: capped at 110 below 30 vCPU', type: 'm5.large', prefixDelegation: true, pods: 110 },
  ];
  for (const c of cases) {
    it(c.reason, () => {
      expect(maxPods(INSTANCE_TYPES[c.type]!, c.prefixDelegation)).toBe(c.pods);
    });
  }

  it('kubelet reservations: an m5.large offers about 1.9 vCPU and 6.7 GiB to pods', () => {
    const a = allocatable(INSTANCE_TYPES['m5.large']!, 29);
    expect(a.cpu).toBe(1930);
    expect(Math.round(a.memory)).toBe(6904);
  });
});

describe('capacity model: everything pinned to the system nodes fits at the group minimum size', SLOW, () => {
  for (const example of EXAMPLES) {
    for (const role of ROLES) {
      it(`${example} (${role})`, () => {
        const report = capacityReport(render(example, role));
        expect(report.problems).toEqual([]);
        // The model saw the controllers, not an empty list.
        expect(report.pinned.map((p) => p.name)).toEqual(expect.arrayContaining(['karpenter/karpenter', 'coredns/coredns', 'istiod/istiod', 'vpc-cni/aws-node']));
      });
    }
  }
  for (const example of ['dev', 'staging', 'prod']) {
    it(`${example} (platform) with every feature flag on`, () => {
      const report = capacityReport(render(example, 'platform', true));
      expect(report.problems).toEqual([]);
      expect(report.pinned.map((p) => p.name)).toEqual(expect.arrayContaining(['cilium/cilium-agent', 'cilium/cilium-operator', 'kyverno/kyverno-admission-controller']));
    });
  }
});

describe('capacity model: negative fixtures', SLOW, () => {
  it("today's prod pinning (three m5.large, 29 pods each) fails on pods and CPU", () => {
    const report = capacityReport(withSystemGroup(render('prod', 'workload'), ['m5a.large', 'm5.large'], 3));
    expect(report.group).toMatchObject({ nodes: 3, maxPods: 29, allocatable: { cpu: 1930 } });
    expect(report.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^pods: \d+ pinned, 3 x m5a?\.large hold 87/), expect.stringMatching(/^cpu: /)]));
  });

  it('a chart the model has no data for is reported, not counted as empty', () => {
    const resources = render('dev', 'workload');
    const release = resources['release-external-dns'] as { spec: { forProvider: JsonObject } };
    const unknown = { ...release, spec: { ...release.spec, forProvider: { ...release.spec.forProvider, chart: { name: 'something-new' } } } };
    expect(capacityReport({ ...resources, 'release-external-dns': unknown }).problems).toEqual(['release-external-dns: no workload data for chart something-new (add it to test/aws/capacity-data.ts)']);
  });

  it('replicas come from the rendered values: more Karpenter replicas than nodes fail the anti-affinity check', () => {
    const resources = render('dev', 'workload');
    const release = resources['release-karpenter'] as { spec: { forProvider: { values: JsonObject } } };
    const values = { ...release.spec.forProvider.values, replicas: 3 };
    const changed = { ...release, spec: { ...release.spec, forProvider: { ...release.spec.forProvider, values } } };
    expect(capacityReport({ ...resources, 'release-karpenter': changed }).problems).toEqual(['karpenter/karpenter: 3 replicas need distinct nodes, the group has 2']);
  });

  it('a group of three that fits only with every node up fails the one-node-out check', () => {
    const report = capacityReport(withSystemGroup(render('prod', 'platform'), ['m5.xlarge'], 3));
    expect(report.problems.some((p) => p.startsWith('one node out:'))).toBe(true);
  });
});
