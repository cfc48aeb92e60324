import { ready } from '../../../resources/aws/composition.js';
import type { EnvironmentContext } from '../context.js';

const COMPONENT = 'cluster-access';

/** Keys of the ProviderConfigs every add-on uses to reach the new cluster. */
export const HELM_PROVIDER_CONFIG = 'provider-config-helm';
export const KUBERNETES_PROVIDER_CONFIG = 'provider-config-kubernetes';

/** Secret (in the Environment's namespace) holding the cluster's kubeconfig, refreshed by ClusterAuth. */
export function kubeconfigSecret(ctx: EnvironmentContext): string {
  return ctx.name('cluster-kubeconfig');
}

/** A reference to one of the cluster ProviderConfigs, for a Release or an Object. */
export function providerConfigRef(ctx: EnvironmentContext, key: typeof HELM_PROVIDER_CONFIG | typeof KUBERNETES_PROVIDER_CONFIG) {
  return { kind: 'ProviderConfig', name: ctx.name(key) };
}

/**
 * How Crossplane reaches the new cluster: ClusterAuth keeps a short-lived
 * kubeconfig in a Secret, and namespaced provider-helm and provider-kubernetes
 * ProviderConfigs read it. Made once the cluster is ready.
 */
export function buildClusterAccess(ctx: EnvironmentContext): void {
  const clusterReady = ctx.isReady('cluster');
  ctx.add(
    'cluster-auth',
    COMPONENT,
    'eks.aws.m.upbound.io/v1beta1:ClusterAuth',
    clusterReady ? { region: ctx.region, clusterNameRef: { name: ctx.name('cluster') } } : ctx.waiting(ready('cluster')),
    { writeConnectionSecretToRef: kubeconfigSecret(ctx) },
  );
  const credentials = { source: 'Secret', secretRef: { name: kubeconfigSecret(ctx), namespace: ctx.inputs.xr.namespace, key: 'kubeconfig' } };
  ctx.addObject(HELM_PROVIDER_CONFIG, COMPONENT, clusterReady ? { apiVersion: 'helm.m.crossplane.io/v1beta1', kind: 'ProviderConfig', spec: { credentials } } : ctx.waiting(ready('cluster')));
  ctx.addObject(
    KUBERNETES_PROVIDER_CONFIG,
    COMPONENT,
    clusterReady ? { apiVersion: 'kubernetes.m.crossplane.io/v1alpha1', kind: 'ProviderConfig', spec: { credentials } } : ctx.waiting(ready('cluster')),
  );
}
