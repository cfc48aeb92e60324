/** Istio AuthorizationPolicy (security.istio.io/v1), limited to what Network sets. */

/** Props of {@link allowFromPrincipals}. */
export interface AllowFromPrincipalsProps {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Pod labels of the workload the policy protects. */
  selector: Record<string, string>;
  /** SPIFFE-style principals, `<trust domain>/ns/<namespace>/sa/<service account>`. */
  principals: readonly string[];
  /** Dry run: Istio evaluates and logs the policy but does not enforce it (`istio.io/dry-run`). */
  dryRun?: boolean;
}

/** Annotation that makes Istio evaluate and log an AuthorizationPolicy without enforcing it. */
export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';

/** A principal pattern Istio matches against any authenticated peer (presence match): every mesh workload, no plaintext caller. */
export const ANY_MESH_PRINCIPAL = '*';

/** An AuthorizationPolicy as this package emits it. */
export interface AuthorizationPolicy {
  apiVersion: 'security.istio.io/v1';
  kind: 'AuthorizationPolicy';
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    action: 'ALLOW';
    selector: { matchLabels: Record<string, string> };
    rules: Array<{ from: Array<{ source: { principals: string[] } }> }>;
  };
}

/**
 * An ALLOW policy admitting only the given principals to the selected pods.
 * It uses only L4 attributes (peer identity), so ztunnel enforces it in ambient
 * mode without a waypoint; once any ALLOW policy selects a workload, every
 * caller it does not list is refused.
 */
export function allowFromPrincipals(props: AllowFromPrincipalsProps): AuthorizationPolicy {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: props.name, namespace: props.namespace, labels: props.labels, ...(props.dryRun === true ? { annotations: { [DRY_RUN_ANNOTATION]: 'true' } } : {}) },
    spec: {
      action: 'ALLOW',
      selector: { matchLabels: { ...props.selector } },
      rules: [{ from: [{ source: { principals: [...props.principals] } }] }],
    },
  };
}

/** The mesh identity of a Kubernetes service account. */
export function serviceAccountPrincipal(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
