import { FatalError } from '../../../errors.js';
import type { Waiting } from '../../../resources/aws/composition.js';
import type { PolicyStatement, ServiceAccountRef } from '../../../resources/aws/iam-policy.js';
import type { EnvironmentContext } from '../context.js';

/**
 * The Helm chart an add-on installs by default: the facts of schemas/charts/catalog.yaml
 * (a test renders every example and checks each Release against the catalog).
 */
export interface AddonChart {
  repository: string;
  chart: string;
  /** Pinned chart version; an EnvironmentConfig may pin another (`data.addons.<name>.version`). */
  version: string;
}

/** An on/off flag of `data.features` that an add-on reads. */
export interface AddonFeature {
  default: boolean;
  /** What turning it on does, for the generated config docs and error messages. */
  description: string;
}

/** A Helm release of an add-on: which chart (an add-on's name, the key of `data.addons`), where, with which values. */
export interface AddonRelease {
  /** Name of the add-on declaring the chart (its {@link AddonDefinition.chart}); also the key of `data.addons` that overrides it. */
  chart: string;
  namespace: string;
  values: Record<string, unknown>;
  /** Release name in the cluster; default: the add-on name. */
  releaseName?: string;
  /**
   * Leave the chart's crds/ alone: Helm installs those once and never upgrades
   * them, so a chart whose CRDs another release templates (and upgrades) skips them.
   */
  skipCRDs?: boolean;
}

/** The AWS identity of an add-on: a role bound by Pod Identity to exactly one service account. */
export interface AddonIdentity {
  serviceAccount: ServiceAccountRef;
  /** The role's permissions, scoped to this environment's resources. */
  statements(ctx: EnvironmentContext): PolicyStatement[];
  /** AWS-managed policies, only where AWS publishes the scoped policy a controller needs. */
  managedPolicyArns?: readonly string[];
  /** Whether this environment gives the add-on its role (default: always, on AWS); an add-on that calls AWS only in some modes says which. */
  enabled?(ctx: EnvironmentContext): boolean;
}

/**
 * One platform operator: data plus a small builder. Adding the next operator
 * is one new file exporting an AddonDefinition and one entry in ADDONS.
 */
export interface AddonDefinition {
  /** Unique DNS-label name; keys are `release-<name>`, `role-<name>`, `object-<name>-<key>`. */
  name: string;
  /** The chart its release installs by default, overridable under `data.addons.<name>`. */
  chart?: AddonChart;
  /** The `data.features` flags it reads, by name: the config's flags are exactly those of all add-ons. */
  features?: Readonly<Record<string, AddonFeature>>;
  /**
   * Whether this environment gets the add-on (role, provider, feature flags).
   * Every definition says whether it applies on-prem: {@link everywhere},
   * {@link onAws}, {@link onOnprem} or a test of its own.
   */
  enabled(ctx: EnvironmentContext): boolean;
  /**
   * Add-ons whose releases must be ready first (CRDs, webhooks, identities).
   * One this environment does not install (the AWS Load Balancer Controller
   * on-prem) is not waited for.
   */
  dependsOn?: readonly string[];
  /** Other composed resources (by key) that must be Ready first, e.g. an identity built elsewhere; per provider where they differ. */
  waitFor?: readonly string[] | ((ctx: EnvironmentContext) => readonly string[]);
  /** The add-on's AWS identity (Pod Identity role); AWS only, never composed on-prem. */
  identity?: AddonIdentity;
  /** AWS resources of its own beyond a Pod Identity role (for example an IRSA role for one service account). */
  build?(ctx: EnvironmentContext): void;
  release?(ctx: EnvironmentContext): AddonRelease;
  /**
   * Kubernetes objects applied once the release is ready (CRs of the CRDs it
   * installs), by key. Always return the same keys; an object whose inputs are
   * not there yet is `ctx.waiting(...)` naming what it needs (it waits, and
   * once created it is kept).
   */
  objects?(ctx: EnvironmentContext): Record<string, Record<string, unknown> | Waiting | undefined>;
}

/** Applies to every provider. */
export const everywhere = (): boolean => true;

/** Applies on AWS only (it calls AWS APIs or needs AWS infrastructure). */
export function onAws(ctx: EnvironmentContext): boolean {
  return ctx.provider === 'aws';
}

/** Applies on-prem only (it stands in for something AWS provides). */
export function onOnprem(ctx: EnvironmentContext): boolean {
  return ctx.provider === 'onprem';
}

/** A `data.features` flag; the name must be one an add-on declares (they all have a default). */
export function featureOn(ctx: EnvironmentContext, name: string): boolean {
  const value = ctx.config.features[name];
  if (value === undefined) throw new FatalError(`cannot read data.features.${name}: no add-on declares this feature`);
  return value;
}

/** The add-on's AWS identity in this environment: none on-prem, none where its `enabled` says so. */
export function identityOf(addon: AddonDefinition, ctx: EnvironmentContext): AddonIdentity | undefined {
  const identity = addon.identity;
  if (identity === undefined || ctx.provider !== 'aws') return undefined;
  return identity.enabled === undefined || identity.enabled(ctx) ? identity : undefined;
}

/** The keys an add-on waits for in this environment. */
export function waitForOf(addon: AddonDefinition, ctx: EnvironmentContext): readonly string[] {
  const waitFor = addon.waitFor ?? [];
  return typeof waitFor === 'function' ? waitFor(ctx) : waitFor;
}

/** Toleration that lets a pod onto the tainted system nodes. */
export const CRITICAL_ADDONS_TOLERATION = { key: 'CriticalAddonsOnly', operator: 'Exists', effect: 'NoSchedule' } as const;

/** Node selector of the system node group. */
export const SYSTEM_NODE_SELECTOR = { 'platform.projectcatalyst.io/node-group': 'system' } as const;

/** Replicas of an add-on's controller: from config, else 2 where the environment keeps stateful resources (prod), else 1. */
export function replicasOf(ctx: EnvironmentContext, chart: string): number {
  return ctx.config.addons[chart]?.replicas ?? (ctx.config.protection.retainStatefulResources ? 2 : 1);
}

/** Whether an add-on should run highly available: more than one replica. */
export function highlyAvailable(ctx: EnvironmentContext, chart: string): boolean {
  return replicasOf(ctx, chart) > 1;
}
