import { FatalError } from '../../../errors.js';
import { Waiting, created, ready, type Need } from '../../../resources/aws/composition.js';
import { policy, policyJson, podIdentityTrust } from '../../../resources/aws/iam-policy.js';
import { clusterArn } from '../cluster.js';
import type { EnvironmentContext } from '../context.js';
import { identityOf, waitForOf, type AddonChart, type AddonDefinition, type AddonFeature } from './addon.js';
import { HELM_PROVIDER_CONFIG, KUBERNETES_PROVIDER_CONFIG, providerConfigRef } from './cluster-access.js';
import { externalDns, externalDnsPrivate } from './external-dns.js';
import { awsLoadBalancerController } from './aws-load-balancer-controller.js';
import { certManager } from './cert-manager.js';
import { envoyGateway, gatewayApiCrds } from './envoy-gateway.js';
import { externalSecrets } from './external-secrets.js';
import { alloy } from './alloy.js';
import { argoCd } from './argo-cd.js';
import { crossplane } from './crossplane.js';
import { dashboardsAddon } from './dashboards.js';
import { databaseAccess } from './database-access.js';
import { istioBase, istioCni, istiod, meshPolicies, ztunnel } from './istio.js';
import { karpenter, karpenterCrd } from './karpenter.js';
import { keda } from './keda.js';
import { storageClasses } from './storage-classes.js';
import { teamAccess } from './team-access.js';
import { argoCdCentral } from './argo-cd-central.js';
import { argoWorkflows } from './argo-workflows.js';
import { cilium } from './cilium.js';
import { falco, falcoTalon } from './falco.js';
import { goldilocks } from './goldilocks.js';
import { kyverno } from './kyverno.js';
import { metricsServer } from './metrics-server.js';
import { nats } from './nats.js';
import { grafana, grafanaRoute } from './grafana.js';
import { managedPrometheus } from './managed-prometheus.js';
import { kubePrometheusStack, loki, minio } from './observability.js';
import { kubeStateMetrics } from './kube-state-metrics.js';
import { tempo } from './tempo.js';
import { onpremSecrets } from './onprem-secrets.js';
import { longhorn, openebs } from './storage-operators.js';
import { reloader } from './reloader.js';
import { trivyAdmission } from './trivy-admission.js';
import { trivyOperator } from './trivy-operator.js';
import { velero } from './velero.js';

/**
 * Every platform operator, in install order. Adding one is a new file and a
 * line here; its `enabled` says on which providers it runs.
 */
export const ADDONS: readonly AddonDefinition[] = [storageClasses, longhorn, openebs, externalDns, externalDnsPrivate, awsLoadBalancerController, externalSecrets, onpremSecrets, certManager, gatewayApiCrds, envoyGateway, karpenterCrd, karpenter, keda, istioBase, istiod, istioCni, ztunnel, meshPolicies, argoCd, teamAccess, kubePrometheusStack, kubeStateMetrics, minio, loki, tempo, managedPrometheus, alloy, grafana, grafanaRoute, crossplane, databaseAccess, cilium, metricsServer, reloader, kyverno, trivyOperator, trivyAdmission, falco, falcoTalon, velero, goldilocks, nats, argoWorkflows, argoCdCentral, dashboardsAddon(releaseNamespaces)];

const COMPONENT = 'addons';

/** The namespaces this environment's add-ons install releases into: where the platform's operators run. */
function releaseNamespaces(ctx: EnvironmentContext): string[] {
  return ADDONS.flatMap((addon) => (addon.release !== undefined && addon.enabled(ctx) ? [addon.release(ctx).namespace] : []));
}

/** Each add-on's own chart, by add-on name: the defaults `data.addons.<name>` overrides. */
export const ADDON_CHARTS: Readonly<Record<string, AddonChart>> = Object.fromEntries(ADDONS.flatMap((addon) => (addon.chart !== undefined ? [[addon.name, addon.chart]] : [])));

/** Every `data.features` flag, from the add-ons that read them. */
export const ADDON_FEATURES: Readonly<Record<string, AddonFeature>> = Object.fromEntries(ADDONS.flatMap((addon) => Object.entries(addon.features ?? {})));

/**
 * The chart a release installs: the add-on's own, with whatever the merged
 * EnvironmentConfig sets under `data.addons.<name>` (a version pin, another mirror).
 */
function chartOf(ctx: EnvironmentContext, addon: AddonDefinition, key: string): AddonChart {
  const { repository, chart, version } = { ...ADDON_CHARTS[key], ...ctx.config.addons[key] };
  if (repository === undefined || chart === undefined || version === undefined) {
    throw new FatalError(`cannot use the merged EnvironmentConfig: data.addons.${key}: add-on ${addon.name} needs a repository, chart and version, and no add-on declares chart "${key}"`);
  }
  return { repository, chart, version };
}

/** provider-helm wants an OCI repository without the chart name the config's reference ends with. */
function chartSource(repository: string, chart: string): { repository: string; name: string } {
  if (repository.startsWith('oci://') && repository.endsWith(`/${chart}`)) return { repository: repository.slice(0, -chart.length - 1), name: chart };
  return { repository, name: chart };
}

/**
 * What the cluster needs before it can take releases: the ProviderConfigs
 * exist and, on AWS, the cluster, its system nodes and the kubeconfig they
 * read are ready (an on-prem cluster is there already).
 */
function clusterNeeds(ctx: EnvironmentContext): Need[] {
  const providerConfigs = [HELM_PROVIDER_CONFIG, KUBERNETES_PROVIDER_CONFIG].map(created);
  if (ctx.provider !== 'aws') return providerConfigs;
  return [ready('cluster'), ready('node-group-system'), ready('cluster-auth'), ...providerConfigs];
}

/** The add-ons this environment installs, by name. */
function enabledNames(ctx: EnvironmentContext): Set<string> {
  return new Set(ADDONS.filter((addon) => addon.enabled(ctx)).map((addon) => addon.name));
}

/** The releases an add-on depends on; dependencies this environment does not install are not waited for. */
function dependencyNeeds(addon: AddonDefinition, enabled: ReadonlySet<string>): Need[] {
  return (addon.dependsOn ?? []).filter((dep) => enabled.has(dep)).map((dep) => ready(`release-${dep}`));
}

function buildIdentity(ctx: EnvironmentContext, addon: AddonDefinition): void {
  // Identities are AWS roles bound by Pod Identity; an on-prem operator has none.
  const identity = identityOf(addon, ctx);
  if (identity === undefined) return;
  const statements = identity.statements(ctx);
  ctx.add(`role-${addon.name}`, COMPONENT, 'iam.aws.m.upbound.io/v1beta1:Role', {
    assumeRolePolicy: policyJson(podIdentityTrust(clusterArn(ctx), ctx.accountId, identity.serviceAccount)),
    ...(statements.length > 0 ? { inlinePolicy: [{ name: addon.name, policy: policyJson(policy(...statements)) }] } : {}),
    ...(identity.managedPolicyArns !== undefined ? { managedPolicyArns: [...identity.managedPolicyArns] } : {}),
    tags: ctx.tags(COMPONENT, { addon: addon.name }),
  });
  ctx.add(
    `pod-identity-${addon.name}`,
    COMPONENT,
    'eks.aws.m.upbound.io/v1beta1:PodIdentityAssociation',
    ctx.isReady('cluster')
      ? {
          region: ctx.region,
          clusterNameRef: { name: ctx.name('cluster') },
          namespace: identity.serviceAccount.namespace,
          serviceAccount: identity.serviceAccount.name,
          roleArnRef: { name: ctx.name(`role-${addon.name}`) },
          tags: ctx.tags(COMPONENT, { addon: addon.name }),
        }
      : ctx.waiting(ready('cluster')),
  );
}

function buildRelease(ctx: EnvironmentContext, addon: AddonDefinition, enabled: ReadonlySet<string>): void {
  if (addon.release === undefined) return;
  const release = addon.release(ctx);
  const chart = chartOf(ctx, addon, release.chart);
  const needs = [
    ...clusterNeeds(ctx),
    ...dependencyNeeds(addon, enabled),
    ...waitForOf(addon, ctx).map((key) => ready(key)),
    ...(identityOf(addon, ctx) !== undefined ? [ready(`pod-identity-${addon.name}`)] : []),
  ];
  ctx.addObject(
    `release-${addon.name}`,
    COMPONENT,
    ctx.met(...needs)
      ? {
          apiVersion: 'helm.m.crossplane.io/v1beta1',
          kind: 'Release',
          metadata: { annotations: { 'crossplane.io/external-name': release.releaseName ?? addon.name } },
          spec: {
            forProvider: {
              chart: { ...chartSource(chart.repository, chart.chart), version: chart.version },
              namespace: release.namespace,
              values: release.values,
              ...(release.skipCRDs === true ? { skipCRDs: true } : {}),
              wait: true,
            },
            providerConfigRef: providerConfigRef(ctx, HELM_PROVIDER_CONFIG),
          },
        }
      : ctx.waiting(...needs),
  );
}

function buildObjects(ctx: EnvironmentContext, addon: AddonDefinition, enabled: ReadonlySet<string>): void {
  if (addon.objects === undefined) return;
  // CRs need the CRDs (and webhooks) their release installs.
  const needs = [...clusterNeeds(ctx), ...(addon.release === undefined ? dependencyNeeds(addon, enabled) : [ready(`release-${addon.name}`)])];
  const canApply = ctx.met(...needs);
  for (const [key, manifest] of Object.entries(addon.objects(ctx))) {
    ctx.addObject(
      `object-${addon.name}-${key}`,
      COMPONENT,
      canApply && manifest !== undefined && !(manifest instanceof Waiting)
        ? {
            apiVersion: 'kubernetes.m.crossplane.io/v1alpha1',
            kind: 'Object',
            spec: { forProvider: { manifest }, providerConfigRef: providerConfigRef(ctx, KUBERNETES_PROVIDER_CONFIG) },
          }
        : // Once the cluster and release are there, what still misses is what the manifest itself waits for.
          canApply && manifest instanceof Waiting ? manifest : ctx.waiting(...needs),
    );
  }
}

/**
 * The platform operators in the environment's cluster (reached through the
 * ProviderConfigs the provider's cluster-access builder made): each enabled
 * add-on's identity, Helm release and objects, each only once what it needs
 * is ready, and never removed once observed.
 */
export function buildAddons(ctx: EnvironmentContext): void {
  const enabled = enabledNames(ctx);
  const names = new Set<string>();
  for (const addon of ADDONS) {
    if (names.has(addon.name)) throw new FatalError(`cannot install add-ons: "${addon.name}" is listed twice`);
    names.add(addon.name);
    if (!enabled.has(addon.name)) continue;
    ctx.forAddon(addon.name, () => {
      buildIdentity(ctx, addon);
      addon.build?.(ctx);
      buildRelease(ctx, addon, enabled);
      buildObjects(ctx, addon, enabled);
    });
  }
}
