import type { z } from 'zod';
import type { ConfigLayer, ConfigOverride, FetchedResources } from '../environment-config/resolve.js';
import type { DesiredResource, ObservedResources, XrIdentity } from '../composite.js';

/** What a composer returns: the resources it wants, in key order, and the XR status. */
export interface Composed {
  resources: Record<string, DesiredResource>;
  status: Record<string, unknown>;
  /**
   * Observed resources the composer drops on purpose (for example an add-on
   * switched off). Any other observed resource missing from `resources` is
   * treated as a bug and the request fails rather than deleting it.
   */
  intentionallyRemoved?: readonly string[];
  /** Whether the XR is ready; undefined lets Crossplane derive it from the composed resources. */
  ready?: boolean;
  /** Non-fatal findings, returned as Warning results (events on the XR). */
  warnings?: readonly string[];
}

/** Where a kind reads its EnvironmentConfig from, and how it is checked. */
export interface ConfigRequest<C> {
  layers: readonly ConfigLayer[];
  schema: z.ZodType<C>;
  override?: ConfigOverride;
}

/** Resources Crossplane fetched for each of a kind's `requirements`, by requirement name. */
export type RequiredResources = Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>>;

/**
 * Everything the function knows about one kind: its schemas (the single
 * source of its XRD), where its config comes from, and how it composes.
 */
export interface KindDefinition<Spec, Config> {
  kind: string;
  plural: string;
  /** One-line description used in the XRD and docs. */
  description: string;
  /** Categories for `kubectl get <category>`. */
  categories: readonly string[];
  /** Printer columns for the XRD: JSON paths into the XR. */
  printerColumns: ReadonlyArray<{ name: string; type: 'string' | 'integer' | 'boolean' | 'date'; jsonPath: string }>;
  spec: z.ZodType<Spec>;
  status: z.ZodType;
  /**
   * What the generated Composition has Crossplane fetch before every call
   * (pipeline step requirements): everything the kind reads besides its XR and
   * observed resources. The function returns no requirements of its own, so
   * Crossplane calls it once per reconcile.
   */
  requirements: readonly FetchedResources[];
  /** The EnvironmentConfig(s) this XR needs. */
  config(xr: XrIdentity, spec: Spec): ConfigRequest<Config>;
  /** Composes the desired resources and status; throws FatalError on input it cannot serve. */
  compose(input: { xr: XrIdentity; spec: Spec; config: Config; observed: ObservedResources; required: RequiredResources }): Composed;
}
