import { beforeAll, describe, expect, it } from 'vitest';
import { dependencyObjectName } from '../functions/platform/src/release.js';
import { COMPOSED_RESOURCE_VERBS, apiGroup, crossplaneRbacRules, exampleInventory, groupSource, resourceNamer, type ExampleInventory } from '../scripts/lib/dependencies.js';
import { CONFIGURATIONS, packageVersion } from '../scripts/lib/xpkg.js';
import { platformEnvironmentSchema } from '../functions/platform/src/environment-config/platform-environment.js';
import { ARGOCD_CM_DATA } from '../functions/platform/src/kinds/environment/addons/argocd-cm.generated.js';
import { argocdCmModule } from '../scripts/lib/generated.js';
import { type JsonObject } from './helpers/requests.js';
import { type Resources } from './helpers/settle.js';
import { forProvider, settledExample } from './helpers/settled-checks.js';
import { parse } from 'yaml';

const values = (resources: Resources, _env: string, addon: string) => forProvider(resources[`release-${addon}`]).values as JsonObject;
const manifest = (resources: Resources, key: string) => forProvider(resources[key]).manifest as JsonObject;

const settled = settledExample;

const dev = settled('dev');
const prod = settled('prod');

describe('Karpenter', () => {
  it('is configured for this cluster and its interruption queue, on the system nodes, after its Pod Identity association', () => {
    const v = values(dev, 'dev', 'karpenter');
    expect(v.settings).toEqual({ clusterName: 'dev-cluster', interruptionQueue: 'dev-queue-interruptions' });
    expect(v.serviceAccount).toEqual({ create: true, name: 'karpenter' });
    expect(forProvider(dev['release-karpenter']).namespace).toBe('karpenter');
    expect(v.tolerations).toEqual([{ key: 'CriticalAddonsOnly', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(v.replicas).toBe(1);
    expect(values(prod, 'prod', 'karpenter').replicas).toBe(2);
    expect(values(prod, 'prod', 'karpenter').podDisruptionBudget).toBeDefined();
    expect(dev['role-karpenter']).toBeUndefined();
  });

  it('has a NodePool and an EC2NodeClass per enabled workload class, gpu off by default', () => {
    const pools = Object.keys(dev).filter((k) => k.startsWith('object-karpenter-node-pool-')).sort();
    expect(pools).toEqual(['object-karpenter-node-pool-compute', 'object-karpenter-node-pool-general', 'object-karpenter-node-pool-memory']);
    const withGpu = settled('dev', { nodes: { pools: { gpu: { enabled: true, instanceCategories: ['g'], cpuLimit: 64 } } } });
    expect(withGpu['object-karpenter-node-pool-gpu']).toBeDefined();
    expect(withGpu['object-karpenter-node-class-gpu']).toBeDefined();
  });

  it('uses spot and on-demand outside prod, on-demand only in prod, with the configured consolidation and limits', () => {
    const capacity = (r: Resources) =>
      (((manifest(r, 'object-karpenter-node-pool-general').spec as JsonObject).template as JsonObject).spec as { requirements: { key: string; values: string[] }[] }).requirements.find((q) => q.key === 'karpenter.sh/capacity-type')?.values;
    expect(capacity(dev)).toEqual(['spot', 'on-demand']);
    expect(capacity(prod)).toEqual(['on-demand']);
    const spec = manifest(prod, 'object-karpenter-node-pool-compute').spec as JsonObject;
    expect(spec.disruption).toMatchObject({ consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '1m' });
    expect(spec.limits).toEqual({ cpu: '200' });
  });

  it('launches Bottlerocket with the node role, discovered subnets and the cluster security group, IMDSv2 hop 1, encrypted disks', () => {
    const spec = manifest(dev, 'object-karpenter-node-class-general').spec as JsonObject;
    expect(spec.amiSelectorTerms).toEqual([{ alias: 'bottlerocket@latest' }]);
    expect(spec.role).toBe('dev-role-node-karpenter');
    expect(dev['role-node-karpenter']).toBeDefined();
    expect(spec.subnetSelectorTerms).toEqual([{ tags: { 'karpenter.sh/discovery': 'dev-cluster' } }]);
    expect(spec.securityGroupSelectorTerms).toEqual([{ tags: { 'aws:eks:cluster-name': 'dev-cluster' } }]);
    expect(spec.metadataOptions).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 1 });
    for (const device of spec.blockDeviceMappings as { ebs: { encrypted: boolean } }[]) expect(device.ebs.encrypted).toBe(true);
  });
});

describe('KEDA', () => {
  it('runs once outside prod and twice with PodDisruptionBudgets in prod', () => {
    expect((values(dev, 'dev', 'keda').operator as JsonObject).replicaCount).toBe(1);
    expect(values(dev, 'dev', 'keda').podDisruptionBudget).toBeUndefined();
    expect((values(prod, 'prod', 'keda').operator as JsonObject).replicaCount).toBe(2);
    expect(values(prod, 'prod', 'keda').podDisruptionBudget).toBeDefined();
  });
});

describe('Istio ambient', () => {
  it('installs base, istiod, CNI and ztunnel in dependency order with the ambient profile', () => {
    for (const addon of ['istio-base', 'istiod', 'istio-cni', 'ztunnel']) {
      expect(forProvider(dev[`release-${addon}`]).namespace).toBe('istio-system');
      expect((values(dev, 'dev', addon).global as JsonObject).profile).toBe('ambient');
    }
    expect(values(prod, 'prod', 'istiod')).toMatchObject({ replicaCount: 2, autoscaleEnabled: false, pdb: { minAvailable: 1 } });
  });

  it('denies everything mesh-wide and admits the gateways', () => {
    expect(manifest(dev, 'object-mesh-policies-default-deny')).toMatchObject({ kind: 'AuthorizationPolicy', metadata: { namespace: 'istio-system' }, spec: {} });
    expect(manifest(dev, 'object-mesh-policies-allow-gateways')).toMatchObject({ metadata: { namespace: 'envoy-gateway-system' }, spec: { action: 'ALLOW', rules: [{}] } });
  });

  it('admits the metrics scrapers, and only them, on the metrics ports of every mesh workload', () => {
    // Istio's rule for ALLOW policies: with any ALLOW policy on a workload, a request passes only if one of them matches.
    const policies = Object.entries(dev)
      .filter(([k]) => k.startsWith('object-mesh-policies-'))
      .map(([k]) => manifest(dev, k) as { metadata: { namespace: string }; spec: { selector?: unknown; rules?: Array<{ from?: Array<{ source: { principals: string[] } }>; to?: Array<{ operation: { ports: string[] } }> }> } });
    const admitted = (namespace: string, principal: string, port: number) =>
      policies
        .filter((p) => (p.metadata.namespace === 'istio-system' || p.metadata.namespace === namespace) && p.spec.selector === undefined)
        .some((p) => (p.spec.rules ?? []).some((r) => (r.from ?? [{ source: { principals: [principal] } }]).some((f) => f.source.principals.includes(principal)) && (r.to ?? [{ operation: { ports: [String(port)] } }]).some((t) => t.operation.ports.includes(String(port)))));
    expect(admitted('team-a', 'cluster.local/ns/alloy/sa/alloy', 9090)).toBe(true);
    expect(admitted('team-a', 'cluster.local/ns/monitoring/sa/prometheus', 8080)).toBe(true);
    expect(admitted('team-a', 'cluster.local/ns/alloy/sa/alloy', 5432)).toBe(false);
    expect(admitted('team-a', 'cluster.local/ns/team-b/sa/default', 9090)).toBe(false);
    // The principals are the scrapers' real identities: their service accounts, their pods in the mesh.
    expect(values(dev, 'dev', 'alloy')).toMatchObject({ serviceAccount: { name: 'alloy' }, controller: { podLabels: { 'istio.io/dataplane-mode': 'ambient' } } });
    expect(forProvider(dev['release-alloy']).namespace).toBe('alloy');
    expect(values(dev, 'dev', 'kube-prometheus-stack')).toMatchObject({ prometheus: { serviceAccount: { name: 'prometheus' }, prometheusSpec: { podMetadata: { labels: { 'istio.io/dataplane-mode': 'ambient' } } } } });
    expect(forProvider(dev['release-kube-prometheus-stack']).namespace).toBe('monitoring');
    expect(manifest(dev, 'object-mesh-policies-allow-to-prometheus')).toMatchObject({ metadata: { namespace: 'monitoring' }, spec: { selector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } }, action: 'ALLOW', rules: [{}] } });
  });

  it('is left out when the environment uses Cilium', () => {
    const cilium = settled('dev', { features: { cilium: true } });
    for (const addon of ['istio-base', 'istiod', 'istio-cni', 'ztunnel']) expect(cilium[`release-${addon}`]).toBeUndefined();
    expect(cilium['object-mesh-policies-default-deny']).toBeUndefined();
  });
});

describe('Argo CD', () => {
  it('takes argocd-cm from argocd/argocd-cm.yaml: Lua health for the platform kinds, annotation tracking, ProviderConfigUsage excluded', () => {
    const cm = ((values(dev, 'dev', 'argo-cd').configs as JsonObject).cm ?? {}) as Record<string, string>;
    expect(cm['application.resourceTrackingMethod']).toBe('annotation');
    expect(cm['resource.customizations']).toBe(ARGOCD_CM_DATA['resource.customizations']);
    expect(cm['resource.customizations']).toContain('platform.projectcatalyst.io/*');
    const exclusions = parse(cm['resource.exclusions'] ?? '') as { kinds: string[] }[];
    expect(exclusions.flatMap((e) => e.kinds)).toEqual(expect.arrayContaining(['ProviderConfigUsage', 'ClusterProviderConfigUsage', 'Endpoints', 'Lease']));
  });

  it('the generated module is argocd/argocd-cm.yaml as committed', () => {
    expect(argocdCmModule()).toContain(JSON.stringify(ARGOCD_CM_DATA, null, 2));
  });

  it('is highly available in prod only', () => {
    expect(values(dev, 'dev', 'argo-cd')).toMatchObject({ 'redis-ha': { enabled: false }, server: { replicas: 1 } });
    expect(values(prod, 'prod', 'argo-cd')).toMatchObject({ 'redis-ha': { enabled: true }, redis: { enabled: false }, server: { replicas: 2, pdb: { enabled: true } }, repoServer: { replicas: 2 } });
  });
});

describe('Grafana Alloy', () => {
  it('sends to the in-cluster Prometheus and Loki by default, without credentials', () => {
    const content = (((values(dev, 'dev', 'alloy').alloy as JsonObject).configMap as JsonObject).content as string);
    expect(content).toContain('kube-prometheus-stack-prometheus.monitoring.svc');
    expect(content).toContain('loki.monitoring.svc');
    expect(content).not.toContain('basic_auth');
    expect(Object.keys(dev).some((k) => k.startsWith('object-alloy-'))).toBe(false);
  });

  it('sends to Grafana Cloud with the key from a Secrets Manager secret synced by External Secrets', () => {
    const cloud = settled('dev', {
      observability: { mode: 'grafana-cloud', grafanaCloud: { prometheusUrl: 'https://prom.grafana.example/api/prom/push', lokiUrl: 'https://logs.grafana.example/loki/api/v1/push', tracesEndpoint: 'tempo.grafana.example:443', credentialsSecret: 'dev/observability/grafana-cloud' } },
    });
    const alloy = values(cloud, 'dev', 'alloy').alloy as JsonObject;
    expect((alloy.configMap as JsonObject).content).toContain('https://prom.grafana.example/api/prom/push');
    expect((alloy.configMap as JsonObject).content).toContain('sys.env("GRAFANA_CLOUD_TOKEN")');
    const secret = manifest(cloud, 'object-alloy-grafana-cloud-credentials');
    expect(secret).toMatchObject({ kind: 'ExternalSecret', spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'platform-secrets' } } });
    expect(JSON.stringify(secret)).toContain('dev/observability/grafana-cloud');
  });
});

describe('Crossplane', () => {
  const envClusterKinds = CONFIGURATIONS.find((c) => c.repository === 'platform-environment-cluster')?.kinds ?? [];

  it("installs this release's environment-cluster Configuration and only the provider the project kinds need", () => {
    expect(manifest(dev, 'object-crossplane-configuration')).toMatchObject({
      kind: 'Configuration',
      metadata: { name: 'catalyst-forge-platform-environment-cluster' },
      spec: { package: `ghcr.io/input-output-hk/catalyst-forge/platform-environment-cluster:${packageVersion()}` },
    });
    const providers = Object.keys(dev).filter((k) => k.startsWith('object-crossplane-provider-'));
    expect(providers).toEqual(['object-crossplane-provider-sql']);
    // The function is pinned exactly; Crossplane itself moves it to each patch release of the series.
    expect(values(dev, 'dev', 'crossplane').args).toEqual(['--enable-dependency-version-upgrades']);
    // Named as the dependency resolver names provider-sql, so the Configuration's dependsOn finds it installed.
    expect(manifest(dev, 'object-crossplane-provider-sql')).toMatchObject({
      kind: 'Provider',
      metadata: { name: dependencyObjectName('xpkg.crossplane.io/crossplane-contrib/provider-sql') },
      spec: { package: expect.stringContaining('crossplane-contrib/provider-sql:v') },
    });
  });

  describe('ClusterRole aggregated into Crossplane for what the project kinds compose', () => {
    let inventory: ExampleInventory;
    beforeAll(async () => {
      inventory = await exampleInventory();
    });
    const role = manifest(dev, 'object-crossplane-rbac');
    const rules = role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    const grants = (group: string, resource: string, verb: string) =>
      rules.some((r) => (r.apiGroups.includes(group) || r.apiGroups.includes('*')) && (r.resources.includes(resource) || r.resources.includes('*')) && (r.verbs.includes(verb) || r.verbs.includes('*')));

    it("carries the label Crossplane's ClusterRole aggregates on (crossplane chart: rbac.crossplane.io/aggregate-to-crossplane)", () => {
      expect(role).toMatchObject({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { labels: { 'rbac.crossplane.io/aggregate-to-crossplane': 'true' } } });
    });

    it('grants every verb Crossplane uses on every composed resource of every project-kind example that no provider brings', () => {
      const plural = resourceNamer();
      const needed = inventory.composed
        .filter((type) => envClusterKinds.includes(type.composedBy))
        .filter((type) => {
          const group = apiGroup(type.apiVersion);
          const source = groupSource(group);
          // Provider kinds: granted by Crossplane's RBAC manager. protection.crossplane.io: Crossplane's own ClusterRole.
          return source.type !== 'provider' && source.type !== 'platform' && group !== 'protection.crossplane.io';
        });
      expect(needed.map((t) => t.kind).sort()).toEqual(['AuthorizationPolicy', 'BackendTrafficPolicy', 'ExternalSecret', 'HTTPRoute', 'Password', 'PersistentVolumeClaim', 'PushSecret']);
      const missing = needed.flatMap((type) =>
        COMPOSED_RESOURCE_VERBS.filter((verb) => !grants(apiGroup(type.apiVersion), plural(apiGroup(type.apiVersion), type.kind), verb)).map((verb) => `${type.apiVersion} ${type.kind} ${verb} (${type.examples.join(', ')})`),
      );
      expect(missing).toEqual([]);
    });

    it('is exactly the rules derived from the project-kind examples, nothing more (fix: PROJECT_KIND_RBAC_RULES from crossplaneRbacRules)', () => {
      expect(rules).toEqual(crossplaneRbacRules(inventory, undefined, envClusterKinds));
    });
  });

  it('writes a platform-environment the project kinds accept', () => {
    const config = manifest(prod, 'object-crossplane-environment-config');
    expect((config.metadata as JsonObject).name).toBe('platform-environment');
    const data = platformEnvironmentSchema.parse(config.data);
    expect(data).toMatchObject({
      environment: 'prod',
      mesh: { trustDomain: 'cluster.local' },
      database: { host: 'prod-database.example', port: 5432 },
      secrets: { prefix: 'prod/', store: { kind: 'ClusterSecretStore', name: 'platform-secrets' } },
      gateways: { public: { name: 'public', namespace: 'envoy-gateway-system', sectionName: 'https' } },
    });
    expect(data.zone).toMatch(/^prod\./);
    expect(data.storageClasses?.standard.name).toBe('standard');
  });
});
