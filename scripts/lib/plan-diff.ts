/**
 * The difference between two plans of the same XR (an edited XR, or the same
 * XR with edited EnvironmentConfigs): resources added, removed and changed,
 * field by field, and which changes AWS would not apply in place. Those facts
 * come from schemas/immutability/aws-force-new.json (Terraform AWS provider
 * ForceNew attributes, which provider-upjet-aws refuses to update); a kind
 * without facts there is reported as changed with replacement unknown.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan, PlannedResource } from './plan.js';
import { REPO_ROOT } from './validation.js';

type JsonObject = Record<string, unknown>;

/** One changed field: its path in the manifest, before and after (undefined: absent). */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

/** What happens to a changed resource when applied. */
export type ChangeAction = 'update' | 'replace' | 'unknown';

export interface ResourceChange {
  key: string;
  kind: string;
  group: string;
  addon?: string;
  action: ChangeAction;
  /** The changed fields that force the replacement, when action is replace. */
  replacedBy: string[];
  fields: FieldChange[];
}

export interface PlanDiff {
  added: PlannedResource[];
  removed: PlannedResource[];
  changed: ResourceChange[];
}

interface KindFacts {
  forceNew: string[];
  forceNewWhenRemoved?: string[];
  forceNewWhenChanged?: Array<{ field: string; from: string; to: string }>;
}

let facts: Record<string, KindFacts> | undefined;

/** `<group>/<Kind>` -> the ForceNew facts of the AWS kinds the data file covers. */
export function immutabilityFacts(): Record<string, KindFacts> {
  facts ??= (JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/immutability/aws-force-new.json'), 'utf8')) as { kinds: Record<string, KindFacts> }).kinds;
  return facts;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Field-level changes between two values; lists of different length or of scalars change as a whole. */
export function fieldChanges(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => fieldChanges(before[key], after[key], path === '' ? key : `${path}.${key}`));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && before.some(isObject)) {
    return before.flatMap((item, i) => fieldChanges(item, after[i], `${path}[${i}]`));
  }
  return [{ path, before, after }];
}

/** The forProvider field a manifest path changes, with a reference (`xRef`, `xRefs`, `xSelector`) read as its field. */
function forProviderField(path: string): string | undefined {
  const prefix = 'spec.forProvider.';
  if (!path.startsWith(prefix)) return undefined;
  return path
    .slice(prefix.length)
    .replace(/\[\d+\]/g, '')
    .split('.')
    .map((segment) => (segment.endsWith('Refs') ? `${segment.slice(0, -4)}s` : segment.replace(/Ref$|Selector$/, '')))
    .join('.');
}

function matches(field: string, fact: string): boolean {
  return field === fact || field.startsWith(`${fact}.`) || fact.startsWith(`${field}.`);
}

function valueAt(manifest: JsonObject, path: string): unknown {
  let current: unknown = (manifest.spec as JsonObject | undefined)?.forProvider;
  for (const segment of path.split('.')) current = isObject(current) ? current[segment] : undefined;
  return current;
}

function classify(after: PlannedResource, fields: FieldChange[]): { action: ChangeAction; replacedBy: string[] } {
  const externalName = fields.filter((f) => f.path === 'metadata.annotations.crossplane.io/external-name' || f.path === 'metadata.name');
  if (!after.apiVersion.includes('.aws.m.upbound.io/')) return { action: externalName.length > 0 ? 'replace' : 'update', replacedBy: externalName.map((f) => f.path) };
  const kindFacts = immutabilityFacts()[`${after.apiVersion.slice(0, after.apiVersion.indexOf('/'))}/${after.kind}`];
  const replacedBy = new Set(externalName.map((f) => f.path));
  if (kindFacts === undefined) return replacedBy.size > 0 ? { action: 'replace', replacedBy: [...replacedBy] } : { action: 'unknown', replacedBy: [] };
  for (const change of fields) {
    const field = forProviderField(change.path);
    if (field === undefined) continue;
    if (kindFacts.forceNew.some((fact) => matches(field, fact))) replacedBy.add(change.path);
    if ((kindFacts.forceNewWhenRemoved ?? []).some((fact) => matches(field, fact) && valueAt(after.manifest, fact) === undefined)) replacedBy.add(change.path);
    for (const rule of kindFacts.forceNewWhenChanged ?? []) {
      if (field === rule.field && change.before === rule.from && change.after === rule.to) replacedBy.add(change.path);
    }
  }
  return replacedBy.size > 0 ? { action: 'replace', replacedBy: [...replacedBy] } : { action: 'update', replacedBy: [] };
}

function byKey(plan: Plan): Map<string, PlannedResource> {
  return new Map(plan.groups.flatMap((g) => g.resources).map((r) => [r.key, r]));
}

/** What applying `after` over `before` does, resource by resource (matched by composition-resource name). */
export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = byKey(before);
  const next = byKey(after);
  const added = [...next.values()].filter((r) => !old.has(r.key));
  const removed = [...old.values()].filter((r) => !next.has(r.key));
  const changed: ResourceChange[] = [];
  for (const resource of next.values()) {
    const previous = old.get(resource.key);
    if (previous === undefined) continue;
    const fields = fieldChanges({ metadata: previous.manifest.metadata, spec: previous.manifest.spec }, { metadata: resource.manifest.metadata, spec: resource.manifest.spec });
    if (fields.length === 0) continue;
    changed.push({ key: resource.key, kind: resource.kind, group: resource.group, ...(resource.addon !== undefined ? { addon: resource.addon } : {}), ...classify(resource, fields), fields });
  }
  return { added, removed, changed };
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function where(r: { group: string; addon?: string; key: string; kind: string }): string {
  return `${r.group}${r.addon !== undefined ? `/${r.addon}` : ''}: ${r.key} (${r.kind})`;
}

/** The diff for a person: counts, then added, removed, replaced and changed resources with their fields. */
export function formatDiff(diff: PlanDiff): string {
  const replaced = diff.changed.filter((c) => c.action === 'replace');
  const unknown = diff.changed.filter((c) => c.action === 'unknown');
  const updated = diff.changed.filter((c) => c.action === 'update');
  if (diff.added.length + diff.removed.length + diff.changed.length === 0) return 'No changes: both plans compose the same resources.\n';
  const lines = [`Diff: ${diff.added.length} to add, ${updated.length + unknown.length} to change in place, ${replaced.length} to REPLACE, ${diff.removed.length} to remove`];
  for (const r of diff.added) lines.push(`+ ${where(r)}`);
  for (const r of diff.removed) lines.push(`- ${where(r)}`);
  for (const c of [...replaced, ...unknown, ...updated]) {
    const tag = c.action === 'replace' ? '! REPLACE' : c.action === 'unknown' ? '~ change (replacement unknown: no immutability facts for this kind)' : '~ change';
    lines.push(`${tag} ${where(c)}`);
    for (const f of c.fields) lines.push(`    ${f.path}: ${show(f.before)} -> ${show(f.after)}${c.replacedBy.includes(f.path) ? '   (forces replacement)' : ''}`);
  }
  if (replaced.length > 0) lines.push('', 'REPLACE: AWS cannot change these in place; the provider refuses the update until the resource is deleted and created again (docs/plan.md).');
  return `${lines.join('\n')}\n`;
}
