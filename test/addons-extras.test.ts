import { describe, expect, it } from 'vitest';
import { ADDONS } from '../functions/platform/src/kinds/environment/addons/index.js';
import { releaseProblems } from '../scripts/lib/charts.js';
import { defaultValidator, validateManifests } from '../scripts/lib/validation.js';
import { readManifest, type JsonObject } from './helpers/requests.js';
import { settleEnvironment, type Resources } from './helpers/settle.js';
import { expandManifests, securityFindings } from './security/checks.js';

const validator = defaultValidator();

/** An example Environment with its spec changed: role platform, or feature flags through spec.overrides. */
function variant(example: string, spec: JsonObject): JsonObject {
  const xr = readManifest(`examples/environment/${example}.yaml`);
  return { ...xr, spec: { ...(xr.spec as JsonObject), ...spec } };
}

const settled = new Map<string, Resources>();
function render(name: string, xr: JsonObject): Resources {
  const cached = settled.get(name);
  if (cached !== undefined) return cached;
  const { resources } = settleEnvironment(xr);
  settled.set(name, resources);
  return resources;
}

const forProvider = (r: JsonObject | undefined): JsonObject => ((r?.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;
const valuesOf = (resources: Resources, addon: string): JsonObject => (forProvider(resources[`release-${addon}`]).values ?? {}) as JsonObject;
const manifestOf = (resources: Resources, key: string): JsonObject => forProvider(resources[key]).manifest as JsonObject;
const statementsOf = (resources: Resources, addon: string): JsonObject[] => {
  const inline = forProvider(resources[`role-${addon}`]).inlinePolicy as Array<{ policy: string }>;
  return (JSON.parse(inline[0]?.policy ?? '{"Statement":[]}') as { Statement: JsonObject[] }).Statement;
};
const trustOf = (resources: Resources, addon: string): JsonObject => (JSON.parse(forProvider(resources[`role-${addon}`]).assumeRolePolicy as string) as { Statement: JsonObject[] }).Statement[0] as JsonObject;

const ALL_FLAGS = { cilium: true, hubbleUi: true, falco: true, falcoKillMode: true, trivyAdmission: true, kyverno: true, veleroBackups: true, goldilocks: true, reloader: true, metricsServer: true };

/** Variants beyond the committed examples: the platform role, and every flag on in a small and a highly available environment. */
/** Settling and validating a whole Environment takes seconds; more on a busy machine than the default allows. */
const SLOW = { timeout: 120_000 };

const VARIANTS: Record<string, JsonObject> = {
  'staging as platform': variant('staging', { role: 'platform' }),
  'prod as platform': variant('prod', { role: 'platform' }),
  'dev with every flag': variant('dev', { overrides: { features: ALL_FLAGS } }),
  'prod with every flag': variant('prod', { overrides: { features: ALL_FLAGS } }),
};

const PLATFORM_ADDONS = ['nats', 'argo-workflows', 'argo-cd-central'];
const FLAGGED_ADDONS = ['cilium', 'falco', 'falco-talon', 'trivy-operator', 'kyverno', 'velero', 'goldilocks', 'reloader', 'metrics-server'];

describe('extras add-ons: every variant fits the real charts, CRDs and security checks', SLOW, () => {
  for (const [name, xr] of Object.entries(VARIANTS)) {
    it(name, () => {
      const resources = render(name, xr);
      const manifests = Object.values(resources);
      const releases = manifests.filter((m) => m.kind === 'Release');
      const embedded = manifests.filter((m) => m.kind === 'Object').map((o) => forProvider(o).manifest as JsonObject);
      expect(validateManifests(validator, [{ file: name, manifests: [...manifests, ...embedded] }], { errorOnMissingSchemas: true }).lines).toEqual([]);
      expect(releases.flatMap((r) => releaseProblems(r).map((p) => `${(r.metadata as { name: string }).name}: ${p}`))).toEqual([]);
      expect(securityFindings(expandManifests(manifests))).toEqual([]);
    });
  }
});

describe('role: platform', SLOW, () => {
  it('adds NATS JetStream, Argo Workflows and the central Argo CD only to platform environments', () => {
    const platform = render('staging as platform', VARIANTS['staging as platform'] as JsonObject);
    for (const addon of PLATFORM_ADDONS) expect(platform[`release-${addon}`], addon).toBeDefined();
    const workload = settleEnvironment(readManifest('examples/environment/staging.yaml')).resources;
    for (const addon of PLATFORM_ADDONS) expect(workload[`release-${addon}`], addon).toBeUndefined();
  });

  it('runs NATS as a single JetStream server outside prod and a three-server cluster with a PDB in prod', () => {
    const staging = valuesOf(render('staging as platform', VARIANTS['staging as platform'] as JsonObject), 'nats');
    expect(staging.config).toMatchObject({ cluster: { enabled: false }, jetstream: { enabled: true, fileStore: { pvc: { storageClassName: 'fast' } } } });
    expect(staging.podDisruptionBudget).toEqual({ enabled: false });
    const prod = valuesOf(render('prod as platform', VARIANTS['prod as platform'] as JsonObject), 'nats');
    expect(prod.config).toMatchObject({ cluster: { enabled: true, replicas: 3 } });
    expect(prod.podDisruptionBudget).toEqual({ enabled: true });
    expect(prod.natsBox).toEqual({ enabled: false });
    // KEDA's nats-jetstream scaler reads /jsz through the Service.
    expect(prod.service).toEqual({ ports: { monitor: { enabled: true } } });
  });

  it('installs the central Argo CD in its own namespace without CRDs, after the cluster Argo CD, with its own installationID', () => {
    const resources = render('prod as platform', VARIANTS['prod as platform'] as JsonObject);
    const release = forProvider(resources['release-argo-cd-central']);
    expect(release.namespace).toBe('argocd-central');
    expect((resources['release-argo-cd-central']?.metadata as JsonObject).annotations).toEqual({ 'crossplane.io/external-name': 'argocd-central' });
    const values = release.values as JsonObject;
    expect(values.crds).toEqual({ install: false });
    expect((values.configs as { cm: Record<string, string> }).cm.installationID).toBe('argocd-central');
    expect((values.configs as { cm: Record<string, string> }).cm['application.resourceTrackingMethod']).toBe('annotation');
    expect(values['redis-ha']).toMatchObject({ enabled: true });
    expect(values.controller).toMatchObject({ replicas: 2, pdb: { enabled: true } });
  });

  it('the KEDA example scales on JetStream lag read from the NATS this environment installs', () => {
    const example = readManifest('examples/platform/keda-jetstream-workers.yaml');
    expect(validateManifests(validator, [{ file: 'keda example', manifests: [example] }], { errorOnMissingSchemas: true }).lines).toEqual([]);
    const trigger = ((example.spec as JsonObject).triggers as JsonObject[])[0] as { type: string; metadata: Record<string, string> };
    expect(trigger.type).toBe('nats-jetstream');
    const resources = render('staging as platform', VARIANTS['staging as platform'] as JsonObject);
    expect(trigger.metadata.natsServerMonitoringEndpoint).toBe(`nats.${forProvider(resources['release-nats']).namespace as string}.svc.cluster.local:${String((valuesOf(resources, 'nats').config as { monitor: { port: number } }).monitor.port)}`);
  });

  it('runs Argo Workflows controllers on the system nodes, two of each in prod', () => {
    const values = valuesOf(render('prod as platform', VARIANTS['prod as platform'] as JsonObject), 'argo-workflows');
    expect(values.controller).toMatchObject({ replicas: 2, pdb: { enabled: true }, nodeSelector: { 'platform.projectcatalyst.io/node-group': 'system' } });
    expect(values.server).toMatchObject({ replicas: 2, authModes: ['client'] });
  });
});

describe('feature flags', SLOW, () => {
  it('install nothing optional where the flags are off (dev: only the base defaults reloader and metrics-server)', () => {
    const dev = settleEnvironment(readManifest('examples/environment/dev.yaml')).resources;
    const present = FLAGGED_ADDONS.filter((addon) => dev[`release-${addon}`] !== undefined);
    expect(present).toEqual(['reloader', 'metrics-server']);
  });

  it('staging and prod turn on what their configs say', () => {
    const staging = settleEnvironment(readManifest('examples/environment/staging.yaml')).resources;
    expect(FLAGGED_ADDONS.filter((a) => staging[`release-${a}`] !== undefined)).toEqual(['falco', 'falco-talon', 'trivy-operator', 'kyverno', 'goldilocks', 'reloader', 'metrics-server']);
    const prod = settleEnvironment(readManifest('examples/environment/prod.yaml')).resources;
    expect(FLAGGED_ADDONS.filter((a) => prod[`release-${a}`] !== undefined)).toEqual(['falco', 'falco-talon', 'trivy-operator', 'kyverno', 'velero', 'reloader', 'metrics-server']);
  });

  it('Cilium: ENI mode with WireGuard, Hubble UI from its flag, an operator role limited to this VPC', () => {
    const resources = render('dev with every flag', VARIANTS['dev with every flag'] as JsonObject);
    const values = valuesOf(resources, 'cilium');
    expect(values).toMatchObject({ eni: { enabled: true }, ipam: { mode: 'eni' }, encryption: { enabled: true, type: 'wireguard' }, hubble: { ui: { enabled: true }, relay: { enabled: true } } });
    expect((trustOf(resources, 'cilium').Condition as JsonObject).StringEquals).toMatchObject({ 'aws:RequestTag/kubernetes-namespace': 'kube-system', 'aws:RequestTag/kubernetes-service-account': 'cilium-operator' });
    const manage = statementsOf(resources, 'cilium').find((s) => s.Sid === 'ManageInterfacesInThisVpc');
    expect(manage?.Condition).toEqual({ ArnEquals: { 'ec2:Vpc': 'arn:aws:ec2:eu-central-1:111111111111:vpc/vpc-dev' } });
    const withoutUi = render('dev cilium without ui', variant('dev', { overrides: { features: { cilium: true } } }));
    expect(valuesOf(withoutUi, 'cilium').hubble).toEqual({ enabled: true, relay: { enabled: false }, ui: { enabled: false } });
  });

  it('Falco forwards to Talon only in kill mode, and Talon terminates pods on Critical events', () => {
    const killing = render('dev with every flag', VARIANTS['dev with every flag'] as JsonObject);
    expect((valuesOf(killing, 'falco').falcosidekick as JsonObject).config).toEqual({ talon: { address: 'http://falco-talon.falco.svc:2803', minimumpriority: 'critical' } });
    const rules = ((valuesOf(killing, 'falco-talon').config as JsonObject).rulesOverride as string);
    expect(rules).toContain('actionner: kubernetes:terminate');
    expect(rules).toContain('priority: ">=Critical"');
    const detectOnly = render('dev falco detect only', variant('dev', { overrides: { features: { falco: true } } }));
    expect(detectOnly['release-falco-talon']).toBeUndefined();
    expect((valuesOf(detectOnly, 'falco').falcosidekick as JsonObject).config).toEqual({});
  });

  it('Velero: own role bound to velero/velero, scoped to its bucket prefix, the environment key and tagged snapshots', () => {
    const resources = render('prod with every flag', VARIANTS['prod with every flag'] as JsonObject);
    expect((trustOf(resources, 'velero').Condition as JsonObject).StringEquals).toMatchObject({ 'aws:RequestTag/kubernetes-namespace': 'velero', 'aws:RequestTag/kubernetes-service-account': 'velero' });
    const statements = statementsOf(resources, 'velero');
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
    expect(bySid('ReadWriteOwnPrefix')?.Resource).toBe('arn:aws:s3:::prod-eu-central-1-projectcatalyst-io-artifacts/velero/*');
    expect(bySid('ListOwnPrefix')?.Resource).toBe('arn:aws:s3:::prod-eu-central-1-projectcatalyst-io-artifacts');
    expect(bySid('UseEnvironmentKeyThroughS3AndEc2')?.Resource).toBe('arn:aws:kms:eu-central-1:111111111111:key/prod');
    expect(bySid('DeleteOwnSnapshots')?.Condition).toEqual({ Null: { 'aws:ResourceTag/velero.io/backup': 'false' } });
    expect(valuesOf(resources, 'velero').credentials).toEqual({ useSecret: false });
    expect(manifestOf(resources, 'object-velero-backup-location').spec).toMatchObject({ provider: 'aws', default: true, objectStorage: { bucket: 'prod-eu-central-1-projectcatalyst-io-artifacts', prefix: 'velero' } });
    expect((manifestOf(resources, 'object-velero-schedule-nightly').spec as JsonObject).template).toMatchObject({ ttl: '720h0m0s', snapshotVolumes: true });
    const dev = render('dev with every flag', VARIANTS['dev with every flag'] as JsonObject);
    expect((manifestOf(dev, 'object-velero-schedule-nightly').spec as JsonObject).template).toMatchObject({ ttl: '168h0m0s' });
  });

  it('prod runs the flagged controllers highly available; dev runs one of each', () => {
    const prod = render('prod with every flag', VARIANTS['prod with every flag'] as JsonObject);
    const dev = render('dev with every flag', VARIANTS['dev with every flag'] as JsonObject);
    expect(valuesOf(prod, 'metrics-server')).toMatchObject({ replicas: 2, podDisruptionBudget: { enabled: true } });
    expect(valuesOf(dev, 'metrics-server')).toMatchObject({ replicas: 1, podDisruptionBudget: { enabled: false } });
    expect(valuesOf(prod, 'reloader').reloader).toMatchObject({ enableHA: true, deployment: { replicas: 2 } });
    expect(valuesOf(prod, 'kyverno').admissionController).toMatchObject({ replicas: 3, podDisruptionBudget: { enabled: true } });
    expect(valuesOf(dev, 'kyverno').admissionController).toMatchObject({ replicas: 1, podDisruptionBudget: { enabled: false } });
    expect(valuesOf(prod, 'falco-talon').replicaCount).toBe(2);
    expect((valuesOf(prod, 'cilium').operator as JsonObject).podDisruptionBudget).toEqual({ enabled: true });
  });
});

describe('Trivy admission (features.trivyAdmission)', SLOW, () => {
  const POLICY = 'object-trivy-admission-policy';
  const policyOf = (resources: Resources): JsonObject => manifestOf(resources, POLICY);
  const ruleOf = (resources: Resources): JsonObject => ((policyOf(resources).spec as JsonObject).rules as JsonObject[])[0] as JsonObject;

  it('staging and prod get the ClusterPolicy; dev, with the flag off, gets neither it nor Kyverno', () => {
    const staging = render('staging', readManifest('examples/environment/staging.yaml'));
    expect(policyOf(staging)).toMatchObject({ apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'refuse-critical-vulnerabilities' } });
    const prod = render('prod', readManifest('examples/environment/prod.yaml'));
    expect(prod[POLICY]).toBeDefined();
    const dev = render('dev', readManifest('examples/environment/dev.yaml'));
    expect(dev[POLICY]).toBeUndefined();
    expect(dev['release-kyverno']).toBeUndefined();
  });

  it('turns Kyverno on by itself, lets its admission controller list the reports, and waits for both releases', () => {
    const resources = render('dev trivy admission only', variant('dev', { overrides: { features: { trivyAdmission: true } } }));
    expect(resources['release-trivy-operator']).toBeDefined();
    expect(resources['release-kyverno']).toBeDefined();
    expect(resources[POLICY]).toBeDefined();
    expect(validateManifests(validator, [{ file: 'trivy admission', manifests: [policyOf(resources)] }], { errorOnMissingSchemas: true }).lines).toEqual([]);
    expect((valuesOf(resources, 'kyverno').admissionController as JsonObject).rbac).toEqual({
      clusterRole: { extraResources: [{ apiGroups: ['aquasecurity.github.io'], resources: ['vulnerabilityreports'], verbs: ['get', 'list'] }] },
    });
    expect(ADDONS.find((a) => a.name === 'trivy-admission')?.dependsOn).toEqual(['trivy-operator', 'kyverno']);
    // Without the flag Kyverno gets no extra permissions.
    const kyvernoOnly = render('dev kyverno only', variant('dev', { overrides: { features: { kyverno: true } } }));
    expect((valuesOf(kyvernoOnly, 'kyverno').admissionController as JsonObject).rbac).toBeUndefined();
    expect(kyvernoOnly[POLICY]).toBeUndefined();
  });

  it('enforces on Pods in project namespaces, with the exception label excluded, admission only', () => {
    const staging = render('staging', readManifest('examples/environment/staging.yaml'));
    const policy = policyOf(staging);
    expect(policy.spec).toMatchObject({ background: false, failurePolicy: 'Fail' });
    expect((policy.spec as JsonObject).validationFailureAction).toBeUndefined();
    expect((policy.metadata as JsonObject).annotations).toMatchObject({ 'pod-policies.kyverno.io/autogen-controllers': 'none' });
    // The label the project namespaces carry.
    const namespace = readManifest('examples/project/namespace.yaml');
    expect((namespace.metadata as { labels: Record<string, string> }).labels['platform.projectcatalyst.io/project']).toBe('true');
    const rule = ruleOf(staging);
    expect(rule.match).toEqual({ any: [{ resources: { kinds: ['Pod'], operations: ['CREATE', 'UPDATE'], namespaceSelector: { matchLabels: { 'platform.projectcatalyst.io/project': 'true' } } } }] });
    expect(rule.exclude).toEqual({ any: [{ resources: { selector: { matchLabels: { 'platform.projectcatalyst.io/vulnerability-exception': 'true' } } } }] });
    expect(rule.validate).toMatchObject({ failureAction: 'Enforce', allowExistingViolations: true });
  });

  it('reads the namespace\'s VulnerabilityReports and compares critical ones with every container and init container image', () => {
    const rule = ruleOf(render('staging', readManifest('examples/environment/staging.yaml')));
    const [context] = rule.context as Array<{ name: string; apiCall: { urlPath: string; jmesPath: string } }>;
    expect(context?.name).toBe('criticalImages');
    expect(context?.apiCall.urlPath).toBe('/apis/aquasecurity.github.io/v1alpha1/namespaces/{{ request.namespace }}/vulnerabilityreports');
    for (const field of ['report.summary.criticalCount > `0`', 'report.registry.server', 'report.artifact.repository', 'report.artifact.tag', 'report.artifact.digest']) {
      expect(context?.apiCall.jmesPath).toContain(field);
    }
    const foreach = (rule.validate as { foreach: Array<{ list: string; deny: { conditions: { any: Array<{ key: string; operator: string; value: string }> } } }> }).foreach;
    expect(foreach.map((f) => f.list)).toEqual(['request.object.spec.containers', 'request.object.spec.initContainers || `[]`']);
    for (const entry of foreach) {
      expect(entry.deny.conditions.any).toEqual([{ key: expect.stringContaining('image_normalize(element.image)'), operator: 'AnyIn', value: '{{ criticalImages }}' }]);
    }
  });
});
