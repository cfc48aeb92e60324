import { FatalError } from '../../errors.js';
import type { PlatformConfig } from '../../environment-config/platform-config.js';
import { buildAddons } from './addons/index.js';
import { HELM_PROVIDER_CONFIG, KUBERNETES_PROVIDER_CONFIG } from './addons/cluster-access.js';
import type { EnvironmentContext, OnpremInputs } from './context.js';
import type { EnvironmentSpec } from './schema.js';

const COMPONENT = 'cluster-access';

/**
 * Checks the on-prem-only fields up front, naming each, before any builder
 * runs. AWS-only fields that would silently do nothing are refused too.
 */
export function onpremInputs(spec: EnvironmentSpec, config: PlatformConfig): { domain: string; onprem: OnpremInputs } {
  const ref = spec.kubeconfigSecretRef;
  if (ref === undefined) {
    throw new FatalError("spec.kubeconfigSecretRef: required when provider is onprem: name the Secret in this Environment's namespace that holds the existing cluster's kubeconfig");
  }
  const domain = spec.domain ?? config.dns?.domain;
  if (domain === undefined) throw new FatalError('data.dns.domain: required when provider is onprem (the zone is <environment>.<domain>): set it in the EnvironmentConfig, or spec.domain to override it for one Environment');
  if (spec.network?.hubRef !== undefined) throw new FatalError('spec.network.hubRef: a Hub attaches AWS VPCs only; remove it when provider is onprem');
  if (config.onprem === undefined) throw new FatalError('cannot use the merged EnvironmentConfig: data.onprem: required when provider is onprem');
  return { domain, onprem: { kubeconfigSecretRef: ref, config: config.onprem } };
}

/**
 * How Crossplane reaches the existing cluster: namespaced provider-helm and
 * provider-kubernetes ProviderConfigs reading the kubeconfig Secret the
 * platform team put next to the Environment. Nothing waits: the cluster is
 * already there. The keys are the AWS ones, so every add-on refers to them alike.
 */
export function buildOnpremClusterAccess(ctx: EnvironmentContext): void {
  const { name, key } = ctx.onprem.kubeconfigSecretRef;
  const credentials = { source: 'Secret', secretRef: { name, namespace: ctx.inputs.xr.namespace, key } };
  ctx.addObject(HELM_PROVIDER_CONFIG, COMPONENT, { apiVersion: 'helm.m.crossplane.io/v1beta1', kind: 'ProviderConfig', spec: { credentials } });
  ctx.addObject(KUBERNETES_PROVIDER_CONFIG, COMPONENT, { apiVersion: 'kubernetes.m.crossplane.io/v1alpha1', kind: 'ProviderConfig', spec: { credentials } });
}

/** An on-prem Environment: access to the existing cluster, then the operators on it. No AWS resources. */
export function buildOnprem(ctx: EnvironmentContext): void {
  buildOnpremClusterAccess(ctx);
  buildAddons(ctx);
}
