import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAME } from '../functions/platform/src/release.js';
import { parseManifests } from '../scripts/lib/schema-validator.js';
import { REPO_ROOT, defaultValidator, validateManifests } from '../scripts/lib/validation.js';

type JsonObject = Record<string, unknown>;

const read = (file: string): JsonObject => {
  const [manifest] = parseManifests(readFileSync(join(REPO_ROOT, 'examples/deployment', file), 'utf8'), file);
  if (manifest === undefined) throw new Error(`${file} is empty`);
  return manifest;
};

/** Walks a path of keys; array elements by index. */
function at(value: unknown, ...path: Array<string | number>): unknown {
  return path.reduce<unknown>((current, key) => (current as Record<string | number, unknown> | undefined)?.[key], value);
}

describe('function deployment examples (examples/deployment)', () => {
  const runtime = read('runtime-config.yaml');
  const fn = read('function.yaml');
  const pdb = read('pod-disruption-budget.yaml');
  const podSpec = at(runtime, 'spec', 'deploymentTemplate', 'spec', 'template', 'spec') as JsonObject;
  const podLabels = at(runtime, 'spec', 'deploymentTemplate', 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
  const container = (podSpec.containers as JsonObject[]).find((c) => c.name === 'package-runtime') as JsonObject;

  it('validate against the Crossplane and Kubernetes schemas', () => {
    const report = validateManifests(defaultValidator(), [{ file: 'examples/deployment', manifests: [runtime, fn, pdb] }], { errorOnMissingSchemas: true });
    expect(report.lines).toEqual([]);
  });

  it('the Function uses the runtime config', () => {
    expect(at(fn, 'metadata', 'name')).toBe(FUNCTION_NAME);
    expect(at(fn, 'spec', 'runtimeConfigRef', 'name')).toBe(at(runtime, 'metadata', 'name'));
  });

  it('runs at least two replicas, spread one per node, never both down in a rolling update', () => {
    expect(at(runtime, 'spec', 'deploymentTemplate', 'spec', 'replicas')).toBeGreaterThanOrEqual(2);
    expect(at(runtime, 'spec', 'deploymentTemplate', 'spec', 'strategy', 'rollingUpdate', 'maxUnavailable')).toBe(0);
    const spread = podSpec.topologySpreadConstraints as JsonObject[];
    const byHost = spread.find((s) => s.topologyKey === 'kubernetes.io/hostname');
    expect(byHost).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
    for (const s of spread) expect(podLabels).toMatchObject(at(s, 'labelSelector', 'matchLabels') as JsonObject);
  });

  it('runs non-root with a read-only root filesystem and no capabilities', () => {
    expect(podSpec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('sets requests and limits, and a V8 heap below the memory limit', () => {
    expect(at(container, 'resources', 'requests')).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    expect(at(container, 'resources', 'limits')).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
    const mib = (quantity: string) => Number(/^(\d+)Mi$/.exec(quantity)?.[1]);
    const heap = Number(/--max-old-space-size=(\d+)/.exec(String((container.env as JsonObject[]).find((e) => e.name === 'NODE_OPTIONS')?.value))?.[1]);
    expect(heap).toBeLessThan(mib(String(at(container, 'resources', 'limits', 'memory'))));
  });

  it('probes the plaintext gRPC health port (the mTLS port refuses the kubelet)', () => {
    expect(at(container, 'readinessProbe', 'grpc', 'port')).toBe(8081);
    expect(at(container, 'livenessProbe', 'grpc', 'port')).toBe(8081);
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(10);
  });

  it('the PodDisruptionBudget keeps one replica and selects the function pods', () => {
    expect(at(pdb, 'spec', 'minAvailable')).toBe(1);
    expect(at(pdb, 'spec', 'selector', 'matchLabels')).toEqual({ 'app.kubernetes.io/name': podLabels['app.kubernetes.io/name'] });
  });
});
