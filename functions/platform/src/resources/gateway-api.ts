/** HTTPRoute (gateway.networking.k8s.io/v1), limited to the fields Network sets. */

/** A path match as the Gateway API spells it. */
export interface HttpPathMatch {
  type: 'PathPrefix' | 'Exact';
  value: string;
}

/** The Gateway (and listener) a route attaches to. */
export interface GatewayParentRef {
  name: string;
  namespace: string;
  sectionName?: string;
}

/** Props of {@link httpRoute}. */
export interface HttpRouteProps {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  parent: GatewayParentRef;
  hostname: string;
  paths: readonly HttpPathMatch[];
  service: { name: string; port: number };
}

/** An HTTPRoute as this package emits it. */
export interface HttpRoute {
  apiVersion: 'gateway.networking.k8s.io/v1';
  kind: 'HTTPRoute';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    parentRefs: GatewayParentRef[];
    hostnames: string[];
    rules: Array<{ matches: Array<{ path: HttpPathMatch }>; backendRefs: Array<{ name: string; port: number }> }>;
  };
}

/**
 * One route, one rule: every path goes to the same Service port. The parent
 * is a Gateway in another namespace (its listeners admit project namespaces);
 * group and kind are the API defaults and so left out.
 */
export function httpRoute(props: HttpRouteProps): HttpRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
    spec: {
      parentRefs: [{ ...props.parent }],
      hostnames: [props.hostname],
      rules: [
        {
          matches: props.paths.map((path) => ({ path: { type: path.type, value: path.value } })),
          backendRefs: [{ name: props.service.name, port: props.service.port }],
        },
      ],
    },
  };
}

type JsonObject = Record<string, unknown>;

function conditionTrue(conditions: unknown, type: string): boolean {
  return Array.isArray(conditions) && conditions.some((c) => (c as JsonObject | null)?.type === type && (c as JsonObject).status === 'True');
}

/**
 * Whether an observed route is accepted by `parent` and all its backends
 * resolved: what the Gateway API reports per parent in `status.parents`.
 */
export function routeAcceptedBy(observed: JsonObject | undefined, parent: GatewayParentRef): boolean {
  const parents = (observed?.status as JsonObject | undefined)?.parents;
  if (!Array.isArray(parents)) return false;
  return parents.some((entry) => {
    const ref = (entry as JsonObject | null)?.parentRef as JsonObject | undefined;
    const conditions = (entry as JsonObject).conditions;
    return ref?.name === parent.name && ref.namespace === parent.namespace && conditionTrue(conditions, 'Accepted') && conditionTrue(conditions, 'ResolvedRefs');
  });
}

/** Whether a Gateway API policy (status.ancestors[].conditions) is accepted by some ancestor. */
export function policyAccepted(observed: JsonObject | undefined): boolean {
  const ancestors = (observed?.status as JsonObject | undefined)?.ancestors;
  return Array.isArray(ancestors) && ancestors.length > 0 && ancestors.every((a) => conditionTrue((a as JsonObject | null)?.conditions, 'Accepted'));
}
