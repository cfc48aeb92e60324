import { createHash } from 'node:crypto';
import { FatalError } from '../../errors.js';
import { API_GROUP, type DesiredResource, type ObservedResources, type XrIdentity } from '../../composite.js';
import { ORPHAN_ON_DELETE, managedResource, type AwsKind, type AwsKinds, type ProviderConfigReference } from './managed.js';

type JsonObject = Record<string, unknown>;

/** Label marking a composed resource that holds data; it is never dropped without a Fatal. */
export const STATEFUL_LABEL = `${API_GROUP}/stateful`;

/** Options of {@link AwsComposition.add}. */
export interface AddOptions {
  /** Holds data: orphaned on deletion where configured, never silently dropped. */
  stateful?: boolean;
  externalName?: string;
  writeConnectionSecretToRef?: string;
  /** Credentials of another account (the Hub's, the parent zone's) instead of the composition's own. */
  providerConfigRef?: ProviderConfigReference;
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

  // One frozen label set per component, shared by its resources: most of a
  // render's resources repeat a handful of sets. Keys in sorted order, as the
  // response writes them, so nothing has to reorder them.
  private readonly labelSets = new Map<string, Readonly<Record<string, string>>>();

  private labels(component: string, stateful: boolean): Readonly<Record<string, string>> {
    const id = stateful ? `${component}\0stateful` : component;
    let labels = this.labelSets.get(id);
    if (labels === undefined) {
      labels = Object.freeze({
        [`${API_GROUP}/component`]: component,
        [`${API_GROUP}/environment`]: this.props.environmentTag,
        ...(stateful ? { [STATEFUL_LABEL]: 'true' } : {}),
      });
      this.labelSets.set(id, labels);
    }
    return labels;
  }

  /**
   * Adds a managed resource, or marks it pending when `forProvider` is
   * undefined because what it needs is not there yet.
   */
  add<K extends AwsKind>(key: string, component: string, kind: K, forProvider: AwsKinds[K] | undefined, options: AddOptions = {}): void {
    if (forProvider === undefined) {
      this.keepObservedOrWait(key);
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
  addObject(key: string, component: string, resource: JsonObject | undefined): void {
    if (resource === undefined) {
      this.keepObservedOrWait(key);
      return;
    }
    const metadata = (resource.metadata ?? {}) as JsonObject;
    this.resources[key] = {
      resource: { ...resource, metadata: { ...metadata, name: this.name(key), labels: this.labels(component, false) } },
    };
  }

  private keepObservedOrWait(key: string): void {
    const observed = this.observed(key);
    if (observed === undefined) {
      this.pending.push(key);
      return;
    }
    this.resources[key] = { resource: desiredFromObserved(observed) };
  }
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
