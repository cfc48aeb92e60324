import type { JsonObject } from './requests.js';
import type { Resources } from './settle.js';

/**
 * What deleting an XR does to its composed resources, as Crossplane v2.3 and
 * the providers behave:
 *
 * - Every composed resource is asked to go at once.
 * - A resource some Usage is `of` carries the in-use label; the Usage webhook
 *   refuses its deletion while such a Usage exists (replayDeletion asks again
 *   once the last one goes).
 * - A composed Usage with a `by` keeps its finalizer until the `by` resource
 *   is gone (internal/controller/protection/usage), then goes.
 * - A ProviderConfig stays (its in-use finalizer) while any managed resource
 *   that used it exists (crossplane-runtime pkg/reconciler/providerconfig).
 *
 * Deletion proceeds in rounds: each round removes every live resource nothing
 * holds. A resource's provider must still be able to act on it while it goes:
 * `needs` lists what must outlive it. The simulation stops when nothing moves.
 */
export interface TeardownResult {
  /** Round each resource went in (1 = at once), by composed key. */
  round: Record<string, number>;
  /** Keys still there when nothing moved any more: stuck. */
  stuck: string[];
  /** "a goes in round r while it needs b, gone in round s <= r". */
  outOfOrder: string[];
}

/** Composed key by `<apiVersion>/<kind>/<name>`. */
function keysByIdentity(resources: Resources): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, resource] of Object.entries(resources)) out.set(identity(resource.apiVersion, resource.kind, name(resource)), key);
  return out;
}

function identity(apiVersion: unknown, kind: unknown, resourceName: unknown): string {
  return `${String(apiVersion)}/${String(kind)}/${String(resourceName)}`;
}

function name(resource: JsonObject): string {
  return String((resource.metadata as JsonObject | undefined)?.name);
}

function spec(resource: JsonObject | undefined): JsonObject {
  return (resource?.spec ?? {}) as JsonObject;
}

/** What holds each resource during deletion: key -> keys of live holders it waits for. */
export function holders(resources: Resources): Map<string, Array<{ holder: string; via: string }>> {
  const byIdentity = keysByIdentity(resources);
  const held = new Map<string, Array<{ holder: string; via: string }>>();
  const hold = (key: string, holder: string, via: string) => held.set(key, [...(held.get(key) ?? []), { holder, via }]);
  for (const [key, resource] of Object.entries(resources)) {
    if (resource.kind === 'Usage') {
      const of = spec(resource).of as { apiVersion: string; kind: string; resourceRef?: { name: string } };
      const ofKey = byIdentity.get(identity(of.apiVersion, of.kind, of.resourceRef?.name));
      if (ofKey === undefined) throw new Error(`${key}: spec.of names ${of.kind} ${String(of.resourceRef?.name)}, which is not composed`);
      // The used resource waits for the Usage; the Usage waits for its user.
      hold(ofKey, key, 'usage');
      const by = spec(resource).by as { apiVersion: string; kind: string; resourceRef?: { name: string } } | undefined;
      if (by !== undefined) {
        const byKey = byIdentity.get(identity(by.apiVersion, by.kind, by.resourceRef?.name));
        if (byKey === undefined) throw new Error(`${key}: spec.by names ${by.kind} ${String(by.resourceRef?.name)}, which is not composed`);
        hold(key, byKey, 'usage finalizer');
      }
    }
    const pcRef = spec(resource).providerConfigRef as { kind?: string; name?: string } | undefined;
    if (pcRef?.name !== undefined) {
      // Only composed ProviderConfigs take part; the AWS ones live outside the XR.
      const pcKey = byIdentity.get(identity(providerConfigApiVersion(String(resource.apiVersion)), pcRef.kind ?? 'ProviderConfig', pcRef.name));
      if (pcKey !== undefined) hold(pcKey, key, 'ProviderConfig in-use finalizer');
    }
  }
  return held;
}

/** The ProviderConfig apiVersion of a managed resource's provider (same group family, `v1beta1` or `v1alpha1`, as composed). */
function providerConfigApiVersion(apiVersion: string): string {
  const group = apiVersion.split('/')[0] ?? '';
  if (group === 'helm.m.crossplane.io') return 'helm.m.crossplane.io/v1beta1';
  if (group === 'kubernetes.m.crossplane.io') return 'kubernetes.m.crossplane.io/v1alpha1';
  return 'aws.m.upbound.io/v1beta1';
}

/** Simulates deleting the XR: rounds until nothing moves; checks `needs` against the order found. */
export function simulateTeardown(resources: Resources, needs: ReadonlyMap<string, readonly string[]>): TeardownResult {
  const held = holders(resources);
  const live = new Set(Object.keys(resources));
  const round: Record<string, number> = {};
  for (let r = 1; live.size > 0; r++) {
    const going = [...live].filter((key) => (held.get(key) ?? []).every(({ holder }) => !live.has(holder)));
    if (going.length === 0) break;
    for (const key of going) {
      round[key] = r;
      live.delete(key);
    }
  }
  const outOfOrder: string[] = [];
  for (const [key, needed] of needs) {
    const at = round[key];
    if (at === undefined) continue;
    for (const need of needed) {
      const gone = round[need];
      if (gone === undefined) continue;
      if (gone <= at) outOfOrder.push(`${key} goes in round ${at} while it needs ${need}, gone in round ${gone}`);
    }
  }
  return { round, stuck: [...live].sort(), outOfOrder: outOfOrder.sort() };
}

/**
 * What must outlive each resource for its provider to delete it, derived from
 * the resources' own references (not from the Usages):
 *
 * - a Release or Object: its ProviderConfig, the resource writing the Secret
 *   that ProviderConfig reads (ClusterAuth), the cluster that resource reaches
 *   and that cluster's node groups (the controllers finishing the uninstall
 *   run there); an Object holding a Karpenter kind also the Karpenter Release
 *   and its AWS identity (Karpenter terminates its instances before the node
 *   class goes);
 * - AWS: what AWS refuses to delete, or deletes badly, while its user exists.
 */
export function providerNeeds(resources: Resources, aws: Readonly<Record<string, readonly string[]>>): Map<string, string[]> {
  const byIdentity = keysByIdentity(resources);
  const needs = new Map<string, string[]>();
  const secretWriter = (secretName: string) =>
    Object.keys(resources).find((key) => (spec(resources[key]).writeConnectionSecretToRef as { name?: string } | undefined)?.name === secretName);
  const nodeGroupsOf = (clusterName: string) =>
    Object.keys(resources).filter((key) => resources[key]?.kind === 'NodeGroup' && ((spec(resources[key]).forProvider as JsonObject).clusterNameRef as { name?: string } | undefined)?.name === clusterName);
  for (const [key, resource] of Object.entries(resources)) {
    if (resource.kind !== 'Release' && resource.kind !== 'Object') continue;
    const chain: string[] = [];
    const pcRef = spec(resource).providerConfigRef as { kind?: string; name: string };
    const pcKey = byIdentity.get(identity(providerConfigApiVersion(String(resource.apiVersion)), pcRef.kind ?? 'ProviderConfig', pcRef.name));
    if (pcKey !== undefined) {
      chain.push(pcKey);
      const secretName = ((spec(resources[pcKey]).credentials as JsonObject | undefined)?.secretRef as { name?: string } | undefined)?.name;
      const writer = secretName === undefined ? undefined : secretWriter(secretName);
      if (writer !== undefined) {
        chain.push(writer);
        const clusterName = ((spec(resources[writer]).forProvider as JsonObject | undefined)?.clusterNameRef as { name?: string } | undefined)?.name;
        const clusterKey = clusterName === undefined ? undefined : byIdentity.get(identity('eks.aws.m.upbound.io/v1beta1', 'Cluster', clusterName));
        if (clusterKey !== undefined && clusterName !== undefined) chain.push(clusterKey, ...nodeGroupsOf(clusterName));
      }
    }
    const manifest = (spec(resource).forProvider as JsonObject | undefined)?.manifest as JsonObject | undefined;
    if (manifest !== undefined && /^karpenter\./.test(String(manifest.apiVersion))) {
      chain.push(...['release-karpenter', 'pod-identity-karpenter', 'role-karpenter-controller'].filter((k) => resources[k] !== undefined));
    }
    needs.set(key, chain);
  }
  for (const [key, needed] of Object.entries(aws)) {
    for (const user of Object.keys(resources).filter((k) => (key.endsWith('*') ? k.startsWith(key.slice(0, -1)) : k === key))) {
      needs.set(user, [...(needs.get(user) ?? []), ...needed.filter((n) => resources[n] !== undefined)]);
    }
  }
  return needs;
}
