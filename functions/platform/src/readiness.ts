/**
 * When a composed resource counts as ready. Crossplane counts a composed
 * resource ready only when the function says READY_TRUE: it derives nothing
 * from the resource's conditions itself (pipelines usually end with
 * function-auto-ready for that). This is that rule, built in.
 */

import { Ready } from '@crossplane-org/function-sdk-typescript';
import type { DesiredResource } from './composite.js';

/** Whether an observed resource reports the condition Ready=True (managed resources, Releases, Objects, Usages, External Secrets). */
function hasReadyCondition(observed: Record<string, unknown> | undefined): boolean {
  const conditions = (observed?.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) && conditions.some((c: { type?: unknown; status?: unknown } | null) => c?.type === 'Ready' && c.status === 'True');
}

/**
 * Readiness of one composed resource: the composer's word where it has one
 * (kinds without a Ready condition, such as a claim or a route, and anything
 * it knows is still waiting), else the observed Ready condition. Crossplane
 * marks the XR Ready only when every composed resource is READY_TRUE.
 */
export function readinessOf(desired: DesiredResource, observed: Record<string, unknown> | undefined): Ready {
  if (desired.ready === false) return Ready.READY_FALSE;
  if (desired.ready === true || hasReadyCondition(observed)) return Ready.READY_TRUE;
  return Ready.READY_FALSE;
}
