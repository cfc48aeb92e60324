import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATION_POLICY_PATH, activationPolicyFile, crdFacts, managedResourceNames } from '../scripts/lib/activation.js';
import { apiGroup, exampleInventory, type ExampleInventory } from '../scripts/lib/dependencies.js';
import { parseManifests } from '../scripts/lib/schema-validator.js';
import { REPO_ROOT, defaultValidator, validateManifests } from '../scripts/lib/validation.js';

describe('ManagedResourceActivationPolicy (fix: npm run generate:mrap)', () => {
  let inventory: ExampleInventory;
  let committed: string;
  let activate: string[];
  let facts: ReturnType<typeof crdFacts>;
  beforeAll(async () => {
    facts = crdFacts();
    inventory = await exampleInventory();
    committed = readFileSync(join(REPO_ROOT, ACTIVATION_POLICY_PATH), 'utf8');
    const [policy] = parseManifests(committed, ACTIVATION_POLICY_PATH);
    activate = ((policy?.spec as { activate?: string[] } | undefined)?.activate ?? []).slice();
  }, 120_000);

  it('covers every managed resource kind any example renders, and nothing else', () => {
    const rendered = new Map<string, string[]>();
    for (const type of inventory.composed) {
      const crd = facts.get(`${apiGroup(type.apiVersion)}/${type.kind}`);
      if (crd?.managed) rendered.set(crd.name, [...(rendered.get(crd.name) ?? []), ...type.examples]);
    }
    const missing = [...rendered.keys()].filter((name) => !activate.includes(name)).map((name) => `${name} (rendered by ${[...new Set(rendered.get(name))].join(', ')})`);
    const unused = activate.filter((name) => !rendered.has(name));
    expect(missing, 'rendered but not activated').toEqual([]);
    expect(unused, 'activated but rendered by no example').toEqual([]);
  });

  it('names each kind exactly (no wildcards), sorted, each a managed resource CRD of a provider', () => {
    const managed = new Set([...facts.values()].filter((f) => f.managed).map((f) => f.name));
    expect(activate.length).toBeGreaterThan(0);
    expect(activate.filter((name) => name.includes('*'))).toEqual([]);
    expect(activate.filter((name) => !managed.has(name))).toEqual([]);
    expect(activate).toEqual([...activate].sort());
  });

  it('leaves out what is not a managed resource: built-in kinds, ProviderConfigs, add-on CRDs, this package\'s XRs', () => {
    const notManaged = inventory.composed.filter((type) => !facts.get(`${apiGroup(type.apiVersion)}/${type.kind}`)?.managed);
    // The examples do compose such kinds (a PersistentVolumeClaim at least), so this checks something.
    expect(notManaged.length).toBeGreaterThan(0);
    for (const type of notManaged) {
      const crd = facts.get(`${apiGroup(type.apiVersion)}/${type.kind}`);
      if (crd !== undefined) expect(activate, `${type.apiVersion} ${type.kind}`).not.toContain(crd.name);
      expect(activate.filter((name) => name.endsWith(`.${apiGroup(type.apiVersion)}`) && name.split('.')[0] === `${type.kind.toLowerCase()}s`)).toEqual([]);
    }
  });

  it('is what npm run generate:mrap writes from the examples', () => {
    expect(committed).toBe(activationPolicyFile(managedResourceNames(inventory)));
  });

  it('validates against the Crossplane schema', () => {
    const report = validateManifests(defaultValidator(), [{ file: ACTIVATION_POLICY_PATH, manifests: parseManifests(committed, ACTIVATION_POLICY_PATH) }], {
      errorOnMissingSchemas: true,
    });
    expect(report.lines).toEqual([]);
    expect(report.valid).toBe(1);
  });
});
