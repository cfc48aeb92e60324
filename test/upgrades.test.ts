import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleRenders } from '../scripts/lib/examples.js';
import { renderInProcess } from '../scripts/lib/in-process.js';
import { listFiles, parseManifests } from '../scripts/lib/schema-validator.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';

type JsonObject = Record<string, unknown>;

/**
 * The fields Crossplane v2 puts under a namespaced XR's spec.crossplane. The
 * XRD validation preserves unknown fields there (Crossplane owns that block),
 * so a misspelt `compositionUpdatePolicy` would pass `npm run validate`; this
 * list catches it.
 */
const CROSSPLANE_FIELDS = new Set(['compositionRef', 'compositionSelector', 'compositionRevisionRef', 'compositionRevisionSelector', 'compositionUpdatePolicy', 'resourceRefs']);

describe('upgrade examples: XRs pinned to a CompositionRevision (docs/upgrades.md)', () => {
  const examples = exampleRenders();
  const pinned = examples.filter((e) => (e.input.xr.spec as JsonObject | undefined)?.crossplane !== undefined);
  const compositionNames = listFiles(join(REPO_ROOT, 'compositions'), ['.yaml'])
    .flatMap((file) => parseManifests(readFileSync(file, 'utf8'), file))
    .map((c) => String((c.metadata as JsonObject).name));

  it('has a production XR pinned with compositionUpdatePolicy: Manual and a revision reference', () => {
    expect(pinned.map((e) => e.file)).toContain('examples/upgrades/database-pinned.yaml');
    const crossplane = (pinned.find((e) => e.file === 'examples/upgrades/database-pinned.yaml')?.input.xr.spec as JsonObject).crossplane as JsonObject;
    expect(crossplane.compositionUpdatePolicy).toBe('Manual');
    expect(String((crossplane.compositionRevisionRef as JsonObject).name)).toMatch(new RegExp(`^${String((crossplane.compositionRef as JsonObject).name)}-[0-9a-f]{7}$`));
  });

  for (const example of pinned) {
    it(`${example.file}: spec.crossplane uses Crossplane's fields and names a Composition of this package`, () => {
      const crossplane = (example.input.xr.spec as JsonObject).crossplane as JsonObject;
      expect(Object.keys(crossplane).filter((key) => !CROSSPLANE_FIELDS.has(key))).toEqual([]);
      expect(['Automatic', 'Manual', undefined]).toContain(crossplane.compositionUpdatePolicy);
      const ref = crossplane.compositionRef as JsonObject | undefined;
      if (ref !== undefined) expect(compositionNames).toContain(ref.name);
    });

    it(`${example.file}: renders exactly as the same XR without spec.crossplane (the pin is Crossplane's business)`, async () => {
      const { crossplane: _pin, ...spec } = example.input.xr.spec as JsonObject;
      const pinnedOutput = renderInProcess(example.input.xr, example.input.requiredResources);
      const unpinnedOutput = renderInProcess({ ...example.input.xr, spec }, example.input.requiredResources);
      // The XR keeps its own spec; what the function writes (status, composed resources) is the same.
      expect(pinnedOutput[0]?.status).toEqual(unpinnedOutput[0]?.status);
      expect(pinnedOutput.slice(1)).toEqual(unpinnedOutput.slice(1));
    });
  }
});
