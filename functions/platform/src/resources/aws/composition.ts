import { createHash } from 'node:crypto';
import { FatalError } from '../../errors.js';
import { API_GROUP, type DesiredResource, type ObservedResources, type XrIdentity } from '../../composite.js';
import { ORPHAN_ON_DELETE, managedResource, type AwsKind, type AwsKinds, type ProviderConfigReference } from './managed.js';

type JsonObject = Record<string, unknown>;

/** Label marking a composed resource that holds data; it is never dropped without a Fatal. */
export const STATEFUL_LABEL = `${API_GROUP}/stateful`;

/** Label naming the add-on a composed resource belongs to (its release, identity, objects): how a plan groups them. */
export const ADDON_LABEL = `${API_GROUP}/addon`;

/** Options of {@link AwsComposition.add}. */
export interface AddOptions {
  /** Holds data: orphaned on deletion where configured, never silently dropped. */
  stateful?: boolean;
  externalName?: string;
  writeConnectionSecretToRef?: string;
  /** Credentials of another account (the Hub's, the parent zone's) instead of the composition's own. */
  providerConfigRef?: ProviderConfigReference;
}

/**
 * Why a pending resource waits: for another composed resource to be composed,
 * to report Ready, or to report a field, or for a field of a resource the XR
 * only reads (a Hub's status).
 */
export interface WaitReason {
  /** Composition-resource name of what it waits for; `<Kind> <namespace>/<name>` for a resource the XR reads but does not compose. */
  resource: string;
  /** The condition that must be True. */
  condition?: 'Ready';
  /** The field that must be reported, e.g. `status.atProvider.arn`. Neither condition nor field: it waits for the resource to be composed. */
  field?: string;
}

/** Something a composed resource needs from another one before it can be composed: see {@link ready}, {@link field}, {@link composed}. */
export interface Need {
  resource: string;
  condition?: 'Ready';
  /** Path under `status.atProvider`. */
  atProvider?: readonly string[];
  /** A field of a resource the XR reads; always reported as given. */
  field?: string;
  /** Only an observed resource meets it (see {@link created}). */
  exists?: boolean;
}

/** The composed resource `key` must report Ready=True. */
export function ready(key: string): Need {
  return { resource: key, condition: 'Ready' };
}

/** The composed resource `key` must report `status.atProvider.<path>`. */
export function field(key: string, ...path: string[]): Need {
  return { resource: key, atProvider: path };
}

/** The resource `key` must be composed (in this render or observed). */
export function composed(key: string): Need {
  return { resource: key };
}

/** The resource `key` must exist: observed, not merely composed in this render. */
export function created(key: string): Need {
  return { resource: key, exists: true };
}

/**
 * What a builder passes instead of a resource that cannot be composed yet:
 * the reasons it waits, shown in the XR's `status.pendingReasons`. Made by
 * {@link AwsComposition.waiting}.
 */
export class Waiting {
  constructor(readonly reasons: readonly WaitReason[]) {}
}

/** One pending resource and why it waits, as `status.pendingReasons` lists them. */
export interface PendingReason {
  resource: string;
  waitingFor: WaitReason[];
}

/** What every AWS composition starts from. */
export interface AwsCompositionProps {
  xr: XrIdentity;
  /** Prefix of every metadata.name (the environment, or the Hub's name). */
  prefix: string;
  region: string;
  /** AWS account, for ARNs; empty when the composition writes no ARNs. */
  accountId: string;
  providerConfigRef: ProviderConfigReference;
  observed: ObservedResources;
  /** Orphan stateful resources on deletion (managementPolicies without Delete). */
  retainStatefulResources: boolean;
  /** The `environment` tag on every resource. */
  environmentTag: string;
}

/**
 * Shared state of one AWS composition: naming, tagging, observed state, and
 * the resources the builders add. Builders call {@link add} with undefined
 * when what a resource needs does not exist yet; the resource is then
 * pending, unless it was already observed, in which case it is kept as it is:
 * a resource that exists is never dropped because an input went missing.
 */
export class AwsComposition {
  readonly region: string;
  readonly accountId: string;
  readonly providerConfigRef: ProviderConfigReference;
  readonly resources: Record<string, DesiredResource> = {};
  readonly pending: string[] = [];
  /** Why each pending resource waits, by key; set for every key in {@link pending}. */
  private readonly reasons = new Map<string, readonly WaitReason[]>();

  constructor(readonly props: AwsCompositionProps) {
    this.region = props.region;
    this.accountId = props.accountId;
    this.providerConfigRef = props.providerConfigRef;
  }

  /** metadata.name of a composed resource: `<environment>-<key>`, a DNS label. */
  name(key: string): string {
    const name = `${this.props.prefix}-${key}`;
    if (name.length > 63) throw new FatalError(`cannot name resource "${key}": "${name}" is longer than 63 characters`);
    return name;
  }

  /**
   * A name within an AWS limit (IAM roles 64, RDS 63, S3 63, ...): the name
   * itself when it fits, otherwise a prefix and a stable hash of the whole.
   */
  boundedName(name: string, max: number): string {
    if (name.length <= max) return name;
    const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
    return `${name.slice(0, max - 9).replace(/-+$/, '')}-${hash}`;
  }

  /** Tags on every AWS resource. */
  tags(component: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
      environment: this.props.environmentTag,
      component,
      'managed-by': 'crossplane',
      'crossplane-composite': `${this.props.xr.namespace}/${this.props.xr.name}`,
      ...extra,
    };
  }

  /** ARN in this environment's account and region. */
  arn(service: string, resource: string, options: { global?: boolean } = {}): string {
    return `arn:aws:${service}:${options.global ? '' : this.region}:${this.accountId}:${resource}`;
  }

  /** The observed composed resource under `key`, if any. */
  observed(key: string): JsonObject | undefined {
    return this.props.observed[key];
  }

  /** status.atProvider of an observed managed resource. */
  atProvider(key: string): JsonObject | undefined {
    return ((this.observed(key)?.status as JsonObject | undefined)?.atProvider as JsonObject | undefined) ?? undefined;
  }

  /** Whether the observed resource under `key` reports Ready=True. */
  isReady(key: string): boolean {
    const conditions = ((this.observed(key)?.status as JsonObject | undefined)?.conditions ?? []) as Array<{ type?: string; status?: string }>;
    return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
  }

  /** A string at a path in the observed atProvider (arrays step into their first item). */
  observedString(key: string, ...path: string[]): string | undefined {
    let current: unknown = this.atProvider(key);
    for (const segment of path) {
      if (Array.isArray(current)) current = current[0];
      current = typeof current === 'object' && current !== null ? (current as JsonObject)[segment] : undefined;
    }
    if (Array.isArray(current)) current = current[0];
    return typeof current === 'string' && current !== '' ? current : undefined;
  }

  /** A list of strings at a path in the observed atProvider, if non-empty. */
  observedStrings(key: string, ...path: string[]): string[] | undefined {
    let current: unknown = this.atProvider(key);
    for (const segment of path) current = typeof current === 'object' && current !== null ? (current as JsonObject)[segment] : undefined;
    if (!Array.isArray(current)) return undefined;
    const strings = current.filter((v): v is string => typeof v === 'string');
    return strings.length > 0 ? strings : undefined;
  }

  /** A value at a path in the observed atProvider (arrays step into their first item); undefined when empty. */
  private observedValue(key: string, path: readonly string[]): unknown {
    let current: unknown = this.atProvider(key);
    for (const segment of path) {
      if (Array.isArray(current)) current = current[0];
      current = typeof current === 'object' && current !== null ? (current as JsonObject)[segment] : undefined;
    }
    if (current === '' || current === null || (Array.isArray(current) && current.length === 0)) return undefined;
    return current;
  }

  private unmet(need: Need): boolean {
    if (need.field !== undefined) return true;
    if (need.condition === 'Ready') return !this.isReady(need.resource);
    if (need.atProvider !== undefined) return this.observedValue(need.resource, need.atProvider) === undefined;
    if (need.exists === true) return this.observed(need.resource) === undefined;
    return this.resources[need.resource] === undefined && this.observed(need.resource) === undefined;
  }

  /** Whether every one of `needs` is met by the observed state. */
  met(...needs: Need[]): boolean {
    return needs.every((need) => !this.unmet(need));
  }

  /**
   * A resource that waits, for what of `needs` is missing now (all of them if
   * the builder waits for a reason the observed state does not show).
   */
  waiting(...needs: Need[]): Waiting {
    const missing = needs.filter((need) => this.unmet(need));
    return new Waiting((missing.length > 0 ? missing : needs).map(reasonOf));
  }

  /** `pendingResources` (names, sorted) and `pendingReasons` (why each waits) for the XR's status; empty once nothing waits. */
  pendingStatus(): { pendingResources?: string[]; pendingReasons?: PendingReason[] } {
    if (this.pending.length === 0) return {};
    const names = [...this.pending].sort();
    return { pendingResources: names, pendingReasons: names.map((resource) => ({ resource, waitingFor: [...(this.reasons.get(resource) ?? [])] })) };
  }

  // One frozen label set per component, shared by its resources: most of a
  // render's resources repeat a handful of sets. Keys in sorted order, as the
  // response writes them, so nothing has to reorder them.
  private readonly labelSets = new Map<string, Readonly<Record<string, string>>>();
  private addon: string | undefined;

  /** Runs `build` with every resource it adds labelled as belonging to add-on `name`. */
  forAddon(name: string, build: () => void): void {
    this.addon = name;
    try {
      build();
    } finally {
      this.addon = undefined;
    }
  }

  private labels(component: string, stateful: boolean): Readonly<Record<string, string>> {
    const addon = this.addon;
    const id = `${component}\0${addon ?? ''}\0${stateful ? 'stateful' : ''}`;
    let labels = this.labelSets.get(id);
    if (labels === undefined) {
      labels = Object.freeze({
        ...(addon !== undefined ? { [ADDON_LABEL]: addon } : {}),
        [`${API_GROUP}/component`]: component,
        [`${API_GROUP}/environment`]: this.props.environmentTag,
        ...(stateful ? { [STATEFUL_LABEL]: 'true' } : {}),
      });
      this.labelSets.set(id, labels);
    }
    return labels;
  }

  /**
   * Adds a managed resource, or marks it pending when what it needs is not
   * there yet: `forProvider` is then `ctx.waiting(...)`, saying for what.
   */
  add<K extends AwsKind>(key: string, component: string, kind: K, forProvider: AwsKinds[K] | Waiting | undefined, options: AddOptions = {}): void {
    if (forProvider === undefined || forProvider instanceof Waiting) {
      this.keepObservedOrWait(key, forProvider);
      return;
    }
    const stateful = options.stateful === true;
    this.resources[key] = {
      resource: managedResource({
        kind,
        name: this.name(key),
        labels: this.labels(component, stateful),
        forProvider,
        providerConfigRef: options.providerConfigRef ?? this.providerConfigRef,
        ...(options.externalName !== undefined ? { externalName: options.externalName } : {}),
        ...(stateful && this.props.retainStatefulResources ? { managementPolicies: ORPHAN_ON_DELETE } : {}),
        ...(options.writeConnectionSecretToRef !== undefined ? { writeConnectionSecretToRef: options.writeConnectionSecretToRef } : {}),
      }),
    };
  }

  /** Adds a resource that is not an AWS managed resource (a Usage, for example). */
  addObject(key: string, component: string, resource: JsonObject | Waiting | undefined): void {
    if (resource === undefined || resource instanceof Waiting) {
      this.keepObservedOrWait(key, resource);
      return;
    }
    const metadata = (resource.metadata ?? {}) as JsonObject;
    this.resources[key] = {
      resource: { ...resource, metadata: { ...metadata, name: this.name(key), labels: this.labels(component, false) } },
    };
  }

  private keepObservedOrWait(key: string, waiting: Waiting | undefined): void {
    const observed = this.observed(key);
    if (observed === undefined) {
      this.pending.push(key);
      this.reasons.set(key, waiting?.reasons ?? []);
      return;
    }
    this.resources[key] = { resource: desiredFromObserved(observed) };
  }
}

function reasonOf(need: Need): WaitReason {
  if (need.condition !== undefined) return { resource: need.resource, condition: need.condition };
  if (need.atProvider !== undefined) return { resource: need.resource, field: ['status', 'atProvider', ...need.atProvider].join('.') };
  if (need.field !== undefined) return { resource: need.resource, field: need.field };
  return { resource: need.resource };
}

/** The desired form of an observed resource: its identity and spec, without status or server fields. */
export function desiredFromObserved(observed: JsonObject): JsonObject {
  const metadata = (observed.metadata ?? {}) as JsonObject;
  const annotations = (metadata.annotations ?? {}) as Record<string, string>;
  const externalName = annotations['crossplane.io/external-name'];
  return {
    apiVersion: observed.apiVersion,
    kind: observed.kind,
    metadata: {
      name: metadata.name,
      ...(metadata.labels !== undefined ? { labels: metadata.labels } : {}),
      ...(externalName !== undefined ? { annotations: { 'crossplane.io/external-name': externalName } } : {}),
    },
    spec: observed.spec,
  };
}
