import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { KINDS, type AnyKindDefinition } from '../functions/platform/src/kinds/index.js';
import { exampleInventory, type ExampleInventory } from '../scripts/lib/dependencies.js';
import { ARCHITECTURE_PAGE, REFERENCE_DIR, fieldRows, generatedDocs, readDoc, referencePage, referencePageContent } from '../scripts/lib/docs.js';
import { parseManifests } from '../scripts/lib/schema-validator.js';
import { REPO_ROOT, defaultValidator, validateManifests } from '../scripts/lib/validation.js';

let inventory: ExampleInventory;
let docs: Map<string, string>;
beforeAll(async () => {
  inventory = await exampleInventory();
  docs = generatedDocs(inventory);
});

describe('generated docs (npm run docs)', () => {
  it('are committed and current: run `npm run docs` when this fails', () => {
    const stale = [...docs.entries()].filter(([path, content]) => readDoc(path) !== content).map(([path]) => path);
    expect(stale).toEqual([]);
  });

  it('leave no page behind for a kind that is gone', () => {
    const pages = readdirSync(join(REPO_ROOT, REFERENCE_DIR)).filter((name) => name.endsWith('.md')).map((name) => `${REFERENCE_DIR}/${name}`);
    expect(pages.sort()).toEqual([...docs.keys()].filter((p) => p.startsWith(`${REFERENCE_DIR}/`)).sort());
  });

  it('give every registered kind a page that lists every spec and status field', () => {
    for (const definition of KINDS) {
      const page = docs.get(referencePage(definition)) ?? '';
      // zod's own JSON Schema, independent of the XRD conversion the pages use.
      const fields = (part: z.ZodType, prefix: string) =>
        Object.keys((z.toJSONSchema(part, { io: 'input', unrepresentable: 'any' }).properties ?? {}) as object).map((f) => `${prefix}.${f}`);
      const topLevel = [...fields(definition.spec, 'spec'), ...fields(definition.status, 'status')];
      for (const field of topLevel) expect(page, `${definition.kind}: ${field}`).toContain(`| \`${field}\` |`);
    }
  });

  it('draw one diagram per kind in the architecture page, with balanced Mermaid labels', () => {
    const page = docs.get(ARCHITECTURE_PAGE) ?? '';
    for (const definition of KINDS) expect(page).toContain(`### ${definition.kind}\n`);
    const blocks = [...page.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) {
      for (const line of block.split('\n').filter((l) => l.includes('["') || l.includes('{{"'))) {
        expect((line.match(/"/g) ?? []).length % 2, line).toBe(0);
      }
    }
  });
});

describe('architecture page', () => {
  it('gives Crossplane a ClusterRole that validates and covers every add-on kind the examples render', () => {
    const page = docs.get(ARCHITECTURE_PAGE) ?? '';
    const yaml = /## RBAC Crossplane needs[\s\S]*?```yaml\n([\s\S]*?)```/.exec(page)?.[1] ?? '';
    const [role] = parseManifests(yaml, 'architecture.md');
    expect(role).toBeDefined();
    const report = validateManifests(defaultValidator(), [{ file: 'architecture.md', manifests: [role as Record<string, unknown>] }], { errorOnMissingSchemas: true });
    expect(report.lines).toEqual([]);
    const groups = (role?.rules as Array<{ apiGroups: string[] }>).flatMap((r) => r.apiGroups);
    for (const type of inventory.composed.filter((c) => c.composedBy === 'Storage')) expect(groups).toContain(type.apiVersion.includes('/') ? type.apiVersion.split('/')[0] : '');
  });
});

describe('reference page generator', () => {
  // A kind nobody has written yet: the generator covers it with no new code.
  const futureKind = {
    kind: 'Queue',
    plural: 'queues',
    description: 'A message queue for a project.',
    categories: ['platform'],
    printerColumns: [{ name: 'URL', type: 'string', jsonPath: '.status.url' }],
    spec: z
      .object({
        retention: z.string().regex(/^[0-9]+h$/).default('24h').describe('How long | messages are kept.'),
        consumers: z.array(z.object({ name: z.string().min(1).max(63).describe('Consumer name.') })).max(8).default([]),
        labels: z.record(z.string(), z.string().max(63)).optional().describe('Labels for the queue.'),
        tier: z.enum(['small', 'large']).describe('Size tier.'),
      })
      .strict(),
    status: z.object({ url: z.string().optional().describe('Where to connect.') }).strict(),
    requirements: [],
    config: () => {
      throw new Error('not called');
    },
    compose: () => {
      throw new Error('not called');
    },
  } as unknown as AnyKindDefinition;

  it('documents every field of a new kind: type, required, default, rules, description', () => {
    const page = referencePageContent(futureKind, { examples: [], composed: [] });
    expect(page).toContain('| `spec.retention` | string |  | `"24h"` | pattern `^[0-9]+h$` | How long \\| messages are kept. |');
    expect(page).toContain('| `spec.consumers` | array of objects |  | `[]` | <= 8 items |  |');
    expect(page).toContain('| `spec.consumers[].name` | string | yes |  | 1..63 characters | Consumer name. |');
    expect(page).toContain('| `spec.labels` | map of string |  |  | values: <= 63 characters | Labels for the queue. |');
    expect(page).toContain('| `spec.tier` | string | yes |  | one of `small`, `large` | Size tier. |');
    expect(page).toContain('| `status.url` | string |  |  |  | Where to connect. |');
    expect(page).toContain('No example under `examples/` renders a Queue yet');
  });

  it('walks nested objects, arrays and maps to their leaves', () => {
    const rows = fieldRows({ type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'array', items: { type: 'object', properties: { c: { type: 'integer' } }, required: ['c'] } } } } } }, 'spec');
    expect(rows.map((r) => [r.path, r.type, r.required])).toEqual([
      ['spec.a', 'object', false],
      ['spec.a.b', 'array of objects', false],
      ['spec.a.b[].c', 'integer', true],
    ]);
  });
});
