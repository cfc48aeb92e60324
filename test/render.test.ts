import { describe, expect, it } from 'vitest';
import { loopbackServerOptions, startFunctionServer } from '../functions/platform/src/server.js';
import { exampleRenders } from '../scripts/lib/examples.js';
import { render, RenderError } from '../scripts/lib/render.js';

const example = () => {
  const found = exampleRenders().find((e) => e.file === 'examples/storage/fast.yaml');
  if (found === undefined) throw new Error('missing example');
  return found.input;
};

function withoutBootstrap(composition: Record<string, unknown>): Record<string, unknown> {
  const spec = structuredClone(composition.spec) as { pipeline: Array<Record<string, unknown>> };
  for (const step of spec.pipeline) delete step.requirements;
  return { ...composition, spec };
}

describe('npm run render', () => {
  it('answers the bootstrap requirements of the Composition in one call', async () => {
    const output = await render(example());
    expect(output.calls).toBe(1);
  });

  it('runs the requirements loop when the Composition declares none: requirements, then compose', async () => {
    const input = example();
    const output = await render({ ...input, composition: withoutBootstrap(input.composition) });
    expect(output.calls).toBe(2);
    expect(output.manifests.map((m) => m.kind)).toEqual(['Storage', 'PersistentVolumeClaim']);
  });

  it('prints the XR with only name and status unless --include-full-xr', async () => {
    const input = example();
    const brief = await render(input);
    expect(Object.keys(brief.manifests[0] ?? {}).sort()).toEqual(['apiVersion', 'kind', 'metadata', 'status']);
    const full = await render({ ...input, includeFullXr: true });
    expect(full.manifests[0]?.spec).toEqual(input.xr.spec);
  });

  it('adds the metadata Crossplane adds to composed resources', async () => {
    const { manifests } = await render(example());
    expect(manifests[1]?.metadata).toMatchObject({
      annotations: { 'crossplane.io/composition-resource-name': 'claim' },
      labels: { 'crossplane.io/composite': 'cache' },
      namespace: 'forge-api',
      ownerReferences: [{ apiVersion: 'platform.projectcatalyst.io/v1alpha1', kind: 'Storage', name: 'cache', controller: true, blockOwnerDeletion: true, uid: '' }],
    });
  });

  it('fails like crossplane render when the function returns a Fatal (missing EnvironmentConfig)', async () => {
    const input = { ...example(), requiredResources: [] };
    await expect(render(input)).rejects.toThrow(
      'cannot render composite resource: pipeline step "compose" returned a fatal result: cannot compose Storage forge-api/cache: cannot find EnvironmentConfig "platform-environment": it is required and does not exist',
    );
  });

  it('fails with the field path when the spec is wrong', async () => {
    const input = { ...example(), xr: { ...example().xr, spec: { class: 'fast', size: '1Gi' } } };
    const failure = render(input);
    await expect(failure).rejects.toBeInstanceOf(RenderError);
    await expect(failure).rejects.toThrow(/spec\.size: 1Gi is below the 4Gi minimum of class "fast"/);
  });

  it('talks to a running function named by the Development runtime annotation', async () => {
    const server = await startFunctionServer(loopbackServerOptions());
    try {
      const input = example();
      const functions = input.functions.map((fn) => ({
        ...fn,
        metadata: { name: 'some-other-function', annotations: { 'render.crossplane.io/runtime': 'Development', 'render.crossplane.io/runtime-development-target': `127.0.0.1:${server.port}` } },
      }));
      const composition = structuredClone(input.composition) as { spec: { pipeline: Array<{ functionRef: { name: string } }> } };
      for (const step of composition.spec.pipeline) step.functionRef.name = 'some-other-function';
      const output = await render({ ...input, functions, composition });
      expect(output.manifests.map((m) => m.kind)).toEqual(['Storage', 'PersistentVolumeClaim']);
    } finally {
      await server.shutdown();
    }
  });

  it('refuses a function it can neither start nor reach', async () => {
    const input = example();
    const composition = structuredClone(input.composition) as { spec: { pipeline: Array<{ functionRef: { name: string } }> } };
    for (const step of composition.spec.pipeline) step.functionRef.name = 'function-go-templating';
    const functions = [{ apiVersion: 'pkg.crossplane.io/v1', kind: 'Function', metadata: { name: 'function-go-templating' } }];
    await expect(render({ ...input, functions, composition })).rejects.toThrow(/cannot run function "function-go-templating"/);
  });
});
