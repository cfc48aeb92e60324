/**
 * What every layer shares about the composite resource being composed: the
 * package's API group, the XR's identity, and the shape of a composed resource.
 * It imports nothing, so builders and resources can use it without reaching up
 * into the kinds.
 */

/** API group and version of every kind in this package. */
export const API_GROUP = 'platform.projectcatalyst.io';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

/** Identity of the XR being composed, as every builder needs it. */
export interface XrIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
  /** metadata.creationTimestamp: which of two colliding XRs came first (the later one is refused). */
  creationTimestamp?: string;
}

/** A composed resource as the function wants it: the object, and whether it counts as ready. */
export interface DesiredResource {
  resource: Record<string, unknown>;
  /** true: ready; false: not ready; undefined: ready when the observed resource reports Ready=True (readiness.ts). */
  ready?: boolean;
}

/** Observed composed resources keyed by composition-resource name. */
export type ObservedResources = Readonly<Record<string, Record<string, unknown>>>;
