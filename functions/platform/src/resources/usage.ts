/** Crossplane Usage (protection.crossplane.io/v1beta1, namespaced): deletion order between composed resources. */

/** A namespaced resource a Usage points at (same namespace as the Usage). */
export interface UsageTarget {
  apiVersion: string;
  kind: string;
  name: string;
}

/**
 * Blocks deletion of `of` while `by` exists. `replayDeletion` retries the
 * blocked delete as soon as `by` is gone instead of waiting for the backoff.
 */
export function usage(props: { name: string; namespace: string; labels: Record<string, string>; of: UsageTarget; by: UsageTarget }) {
  const ref = (target: UsageTarget) => ({ apiVersion: target.apiVersion, kind: target.kind, resourceRef: { name: target.name } });
  return {
    apiVersion: 'protection.crossplane.io/v1beta1',
    kind: 'Usage',
    metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
    spec: { of: ref(props.of), by: ref(props.by), replayDeletion: true },
  };
}
