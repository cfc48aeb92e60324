/** Envoy Gateway BackendTrafficPolicy (gateway.envoyproxy.io/v1alpha1), limited to what Network sets. */

/** Retry triggers that only fire when the request never reached the application, so retrying cannot repeat its effect. */
export const SAFE_RETRY_TRIGGERS = ['connect-failure', 'refused-stream', 'reset-before-request'] as const;

/** Props of {@link backendTrafficPolicy}; every traffic setting is optional. */
export interface BackendTrafficPolicyProps {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Name of the HTTPRoute (same namespace) the policy applies to. */
  routeName: string;
  timeouts?: { request?: string; idle?: string; connect?: string };
  retries?: { attempts: number; perTryTimeout?: string; statusCodes?: readonly number[] };
  requestsPerMinute?: number;
}

/** A BackendTrafficPolicy as this package emits it. */
export interface BackendTrafficPolicy {
  apiVersion: 'gateway.envoyproxy.io/v1alpha1';
  kind: 'BackendTrafficPolicy';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    targetRefs: Array<{ group: 'gateway.networking.k8s.io'; kind: 'HTTPRoute'; name: string }>;
    timeout?: { http?: { requestTimeout?: string; connectionIdleTimeout?: string }; tcp?: { connectTimeout?: string } };
    retry?: {
      numRetries: number;
      perRetry?: { timeout: string };
      retryOn: { triggers: string[]; httpStatusCodes?: number[] };
    };
    rateLimit?: { type: 'Local'; local: { rules: Array<{ limit: { requests: number; unit: 'Minute' } }> } };
  };
}

/**
 * The traffic policy of one route. The rate limit is Local (per Envoy replica,
 * no Redis): a ceiling that protects the backend, not an exact quota.
 */
export function backendTrafficPolicy(props: BackendTrafficPolicyProps): BackendTrafficPolicy {
  const spec: BackendTrafficPolicy['spec'] = {
    targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: props.routeName }],
  };
  const { timeouts, retries } = props;
  if (timeouts !== undefined) {
    const http = { requestTimeout: timeouts.request, connectionIdleTimeout: timeouts.idle };
    spec.timeout = {
      ...(http.requestTimeout !== undefined || http.connectionIdleTimeout !== undefined ? { http } : {}),
      ...(timeouts.connect !== undefined ? { tcp: { connectTimeout: timeouts.connect } } : {}),
    };
  }
  if (retries !== undefined) {
    const statusCodes = [...new Set(retries.statusCodes ?? [])].sort((a, b) => a - b);
    spec.retry = {
      numRetries: retries.attempts,
      ...(retries.perTryTimeout !== undefined ? { perRetry: { timeout: retries.perTryTimeout } } : {}),
      retryOn: {
        triggers: [...SAFE_RETRY_TRIGGERS, ...(statusCodes.length > 0 ? ['retriable-status-codes'] : [])],
        ...(statusCodes.length > 0 ? { httpStatusCodes: statusCodes } : {}),
      },
    };
  }
  if (props.requestsPerMinute !== undefined) {
    spec.rateLimit = { type: 'Local', local: { rules: [{ limit: { requests: props.requestsPerMinute, unit: 'Minute' } }] } };
  }
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'BackendTrafficPolicy',
    metadata: { name: props.name, namespace: props.namespace, labels: props.labels },
    spec,
  };
}
