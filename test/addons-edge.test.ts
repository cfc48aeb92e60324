import { describe, expect, it } from 'vitest';
import { runFunction } from '../functions/platform/src/run-function.js';
import { platformEnvironmentSchema } from '../functions/platform/src/environment-config/platform-environment.js';
import { GATEWAYS, PROJECT_NAMESPACE_LABEL, WILDCARD_CERTIFICATE_SECRET } from '../functions/platform/src/kinds/environment/addons/envoy-gateway.js';
import { PLATFORM_SECRET_STORE } from '../functions/platform/src/kinds/environment/addons/external-secrets.js';
import { environmentRequired, readManifest, request, type JsonObject } from './helpers/requests.js';
import { environmentComputed, observeAll, resourcesOf, type Resources } from './helpers/settle.js';
import { forProvider, settledExample } from './helpers/settled-checks.js';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const values = (r: Resources, addon: string) => forProvider(r[`release-${addon}`]).values as JsonObject;
const manifest = (r: Resources, key: string) => forProvider(r[key]).manifest as JsonObject;
const list = (v: string | string[]) => [v].flat();

function statements(r: Resources, addon: string): Statement[] {
  const inline = forProvider(r[`role-${addon}`]).inlinePolicy as { policy: string }[];
  return inline.flatMap((p) => (JSON.parse(p.policy) as { Statement: Statement[] }).Statement);
}

function trust(r: Resources, addon: string) {
  return (JSON.parse(forProvider(r[`role-${addon}`]).assumeRolePolicy as string) as { Statement: Statement[] }).Statement[0]?.Condition?.StringEquals;
}

const settled = settledExample;

const dev = settled('dev');
const prod = settled('prod');
const CRITICAL = [{ key: 'CriticalAddonsOnly', operator: 'Exists', effect: 'NoSchedule' }];
const SYSTEM = { 'platform.projectcatalyst.io/node-group': 'system' };

describe('edge add-ons: releases', () => {
  it.each([
    ['aws-load-balancer-controller', 'aws-load-balancer-controller', '3.5.0', 'kube-system'],
    ['external-secrets', 'external-secrets', '2.9.0', 'external-secrets'],
    ['cert-manager', 'cert-manager', 'v1.21.1', 'cert-manager'],
    ['envoy-gateway', 'gateway-helm', 'v1.9.0', 'envoy-gateway-system'],
  ])('%s installs chart %s %s into %s, in every environment', (addon, chart, version, namespace) => {
    for (const r of [dev, prod]) {
      const release = forProvider(r[`release-${addon}`]);
      expect((release.chart as JsonObject).name).toBe(chart);
      expect((release.chart as JsonObject).version).toBe(version);
      expect(release.namespace).toBe(namespace);
    }
  });

  it('run their controllers on the system nodes, one replica in dev and two with disruption budgets in prod', () => {
    const lb = (r: Resources) => values(r, 'aws-load-balancer-controller');
    expect(lb(dev)).toMatchObject({ replicaCount: 1, tolerations: CRITICAL, nodeSelector: SYSTEM });
    expect(lb(dev).podDisruptionBudget).toBeUndefined();
    expect(lb(prod)).toMatchObject({ replicaCount: 2, podDisruptionBudget: { maxUnavailable: 1 } });

    const eso = (r: Resources) => values(r, 'external-secrets');
    expect(eso(dev)).toMatchObject({ replicaCount: 1, leaderElect: false, tolerations: CRITICAL, nodeSelector: SYSTEM });
    expect(eso(prod)).toMatchObject({ replicaCount: 2, leaderElect: true, podDisruptionBudget: { enabled: true, minAvailable: 1 } });
    for (const part of ['webhook', 'certController']) {
      expect(eso(prod)[part]).toMatchObject({ replicaCount: 2, tolerations: CRITICAL, podDisruptionBudget: { enabled: true } });
    }

    const cm = (r: Resources) => values(r, 'cert-manager');
    expect(cm(dev)).toMatchObject({ replicaCount: 1, tolerations: CRITICAL, nodeSelector: SYSTEM });
    expect(cm(dev).podDisruptionBudget).toBeUndefined();
    for (const part of ['webhook', 'cainjector']) expect(cm(prod)[part]).toMatchObject({ replicaCount: 2, podDisruptionBudget: { enabled: true, minAvailable: 1 } });

    const eg = (r: Resources) => values(r, 'envoy-gateway');
    expect(eg(dev)).toMatchObject({ deployment: { replicas: 1, pod: { tolerations: CRITICAL, nodeSelector: SYSTEM } }, podDisruptionBudget: { minAvailable: 0 } });
    expect(eg(prod)).toMatchObject({ deployment: { replicas: 2 }, podDisruptionBudget: { minAvailable: 1 } });
  });

  it('take replicas from data.addons.<chart>.replicas', () => {
    const three = settled('dev', { addons: { 'cert-manager': { repository: 'https://charts.jetstack.io', chart: 'cert-manager', version: 'v1.21.1', replicas: 3 } } });
    expect(values(three, 'cert-manager')).toMatchObject({ replicaCount: 3, podDisruptionBudget: { enabled: true } });
    expect(values(three, 'external-secrets').replicaCount).toBe(1);
  });

  it('the load balancer controller knows its cluster, region and the observed VPC', () => {
    expect(values(dev, 'aws-load-balancer-controller')).toMatchObject({
      clusterName: 'dev-cluster',
      region: 'eu-central-1',
      vpcId: 'vpc-dev',
      serviceAccount: { create: true, name: 'aws-load-balancer-controller' },
      enableWaf: false,
      enableWafv2: false,
      enableShield: false,
    });
  });

  it('cert-manager installs its CRDs through the chart and keeps them on uninstall', () => {
    expect(values(dev, 'cert-manager').crds).toEqual({ enabled: true, keep: true });
  });
});

describe('edge add-ons: identities', () => {
  it.each([
    ['aws-load-balancer-controller', 'kube-system', 'aws-load-balancer-controller'],
    ['external-secrets', 'external-secrets', 'external-secrets'],
    ['cert-manager', 'cert-manager', 'cert-manager'],
  ])('%s: role trusted by exactly %s/%s of this cluster, bound by Pod Identity', (addon, namespace, serviceAccount) => {
    expect(trust(dev, addon)).toEqual({
      'aws:SourceAccount': '111111111111',
      'aws:RequestTag/eks-cluster-arn': 'arn:aws:eks:eu-central-1:111111111111:cluster/dev-cluster',
      'aws:RequestTag/kubernetes-namespace': namespace,
      'aws:RequestTag/kubernetes-service-account': serviceAccount,
    });
    expect(forProvider(dev[`pod-identity-${addon}`])).toMatchObject({ namespace, serviceAccount, roleArnRef: { name: `dev-role-${addon}` } });
  });

  it('envoy-gateway calls no AWS API and has no role', () => {
    expect(dev['role-envoy-gateway']).toBeUndefined();
  });

  it('the load balancer controller changes only what carries this cluster\'s tag, in this region and VPC', () => {
    const all = statements(dev, 'aws-load-balancer-controller');
    for (const s of all) {
      if (list(s.Resource).includes('*')) {
        // Only reads AWS cannot scope: Describe, certificate listing.
        expect(list(s.Action).every((a) => /:(Describe|List)[A-Za-z]+$/.test(a)), s.Sid).toBe(true);
        continue;
      }
      for (const resource of list(s.Resource)) expect(resource, s.Sid).toMatch(/^arn:aws:(ec2|elasticloadbalancing|acm):eu-central-1:111111111111:|^arn:aws:iam::111111111111:/);
    }
    const bySid = (sid: string) => all.find((s) => s.Sid === sid);
    for (const sid of ['CreateTaggedSecurityGroups', 'CreateTaggedLoadBalancers']) {
      expect(bySid(sid)?.Condition?.StringEquals).toEqual({ 'aws:RequestTag/elbv2.k8s.aws/cluster': 'dev-cluster' });
    }
    for (const sid of ['ManageOwnSecurityGroups', 'ManageOwnLoadBalancers', 'ListenersOfOwnLoadBalancers']) {
      expect(bySid(sid)?.Condition?.StringEquals).toEqual({ 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'dev-cluster' });
    }
    // Ownership cannot be moved by retagging.
    expect(bySid('RetagOwnLoadBalancers')?.Condition?.Null).toEqual({ 'aws:RequestTag/elbv2.k8s.aws/cluster': 'true' });
    expect(bySid('BackendSecurityGroupRules')?.Condition?.StringEquals).toEqual({ 'ec2:Vpc': 'arn:aws:ec2:eu-central-1:111111111111:vpc/vpc-dev' });
    // Deleting a load balancer is only ever granted with the tag condition.
    const deleting = all.filter((s) => list(s.Action).some((a) => /Delete(LoadBalancer|TargetGroup|SecurityGroup)$/.test(a)));
    expect(deleting.every((s) => s.Condition?.StringEquals?.['aws:ResourceTag/elbv2.k8s.aws/cluster'] === 'dev-cluster')).toBe(true);
  });

  it('External Secrets reads and writes <environment>/*, only reads global/*, and never the database root', () => {
    const all = statements(prod, 'external-secrets');
    const arn = (prefix: string) => `arn:aws:secretsmanager:eu-central-1:333333333333:secret:${prefix}`;
    const allowed = all.filter((s) => s.Effect === 'Allow');
    expect(allowed.flatMap((s) => list(s.Resource)).sort()).toEqual([arn('global/*'), arn('prod/*')]);
    const global = allowed.find((s) => list(s.Resource).includes(arn('global/*')));
    expect(list(global?.Action ?? []).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds']);
    const own = allowed.find((s) => list(s.Resource).includes(arn('prod/*')));
    expect(list(own?.Action ?? [])).toEqual(expect.arrayContaining(['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret']));
    const deny = all.find((s) => s.Effect === 'Deny');
    // RDS manages the root credentials in a secret named rds!db-<uuid>; no such secret is ever handed out.
    expect(deny?.Resource).toBe(arn('rds!*'));
    expect(list(deny?.Action ?? [])).toContain('secretsmanager:GetSecretValue');
  });

  it('cert-manager may write only ACME TXT records in this zone and read change status', () => {
    const all = statements(dev, 'cert-manager');
    expect(all.flatMap((s) => list(s.Resource)).sort()).toEqual(['arn:aws:route53:::change/*', 'arn:aws:route53:::hostedzone/ZDEVZONE', 'arn:aws:route53:::hostedzone/ZDEVZONE']);
    const change = all.find((s) => list(s.Action).includes('route53:ChangeResourceRecordSets'));
    expect(change?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] },
      'ForAllValues:StringLike': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['_acme-challenge.*'] },
    });
  });
});

describe('edge add-ons: objects', () => {
  it('the ClusterSecretStore is the one platform-environment names, on Secrets Manager in this region, with no credentials of its own', () => {
    const store = manifest(dev, 'object-external-secrets-store');
    expect(store).toEqual({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: 'platform-secrets' },
      spec: {
        provider: { aws: { service: 'SecretsManager', region: 'eu-central-1' } },
        // Project namespaces by their label, and the platform's own: no other namespace may use the store.
        conditions: [{ namespaceSelector: { matchLabels: { [PROJECT_NAMESPACE_LABEL]: 'true' } } }, { namespaces: ['alloy', 'cert-manager', 'external-dns'] }],
      },
    });
  });

  it("the Let's Encrypt issuers solve DNS-01 in this environment's zone only", () => {
    const issuer = manifest(dev, 'object-cert-manager-issuer');
    expect(issuer.metadata).toEqual({ name: 'letsencrypt' });
    const acme = (issuer.spec as JsonObject).acme as JsonObject;
    expect(acme.server).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(acme.solvers).toEqual([{ selector: { dnsZones: ['dev.eu-central-1.projectcatalyst.io'] }, dns01: { route53: { region: 'eu-central-1', hostedZoneID: 'ZDEVZONE' } } }]);
    const staging = manifest(dev, 'object-cert-manager-issuer-staging');
    expect(((staging.spec as JsonObject).acme as JsonObject).server).toBe('https://acme-staging-v02.api.letsencrypt.org/directory');
  });

  it('a wildcard certificate for the zone and its apex sits next to the Gateways', () => {
    expect(manifest(dev, 'object-envoy-gateway-certificate')).toMatchObject({
      kind: 'Certificate',
      metadata: { namespace: 'envoy-gateway-system' },
      spec: { secretName: WILDCARD_CERTIFICATE_SECRET, dnsNames: ['*.dev.eu-central-1.projectcatalyst.io', 'dev.eu-central-1.projectcatalyst.io'], issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt' } },
    });
  });

  it.each([
    ['public', 'internet-facing'],
    ['internal', 'internal'],
  ] as const)('the %s Gateway: %s NLB, HTTPS with the wildcard certificate for project namespaces, HTTP only redirects', (visibility, scheme) => {
    const gateway = manifest(dev, `object-envoy-gateway-${visibility}`);
    const spec = gateway.spec as { gatewayClassName: string; infrastructure: JsonObject; listeners: JsonObject[] };
    expect(gateway.metadata).toMatchObject({ name: visibility, namespace: 'envoy-gateway-system' });
    expect(spec.gatewayClassName).toBe('envoy');
    expect(spec.infrastructure).toEqual({ parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: visibility } });
    const [https, http] = spec.listeners;
    expect(https).toMatchObject({
      name: 'https',
      protocol: 'HTTPS',
      port: 443,
      hostname: '*.dev.eu-central-1.projectcatalyst.io',
      tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'wildcard-tls' }] },
      allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { [PROJECT_NAMESPACE_LABEL]: 'true' } } } },
    });
    expect(http).toMatchObject({ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'Same' } } });

    const redirect = manifest(dev, `object-envoy-gateway-redirect-${visibility}`);
    expect(redirect.spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: visibility, sectionName: 'http' }],
      rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }],
    });

    const kubernetes = (((manifest(dev, `object-envoy-gateway-proxy-${visibility}`).spec as JsonObject).provider as JsonObject).kubernetes ?? {}) as JsonObject;
    expect(kubernetes.envoyServiceAccount).toEqual({ name: `envoy-${visibility}` });
    expect(kubernetes.envoyService).toMatchObject({
      loadBalancerClass: 'service.k8s.aws/nlb',
      annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': scheme, 'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip' },
    });
    expect(kubernetes.envoyPDB).toBeUndefined();
    const prodProxy = (((manifest(prod, `object-envoy-gateway-proxy-${visibility}`).spec as JsonObject).provider as JsonObject).kubernetes ?? {}) as JsonObject;
    expect(prodProxy).toMatchObject({ envoyDeployment: { replicas: 2 }, envoyPDB: { minAvailable: 1 } });
  });

  it("matches what platform-environment tells the project kinds: the Gateways, their HTTPS listener and proxies' service account, the secret store", () => {
    const config = Object.values(dev)
      .filter((m) => m.kind === 'Object')
      .map((m) => forProvider(m).manifest as JsonObject)
      .find((m) => m.kind === 'EnvironmentConfig' && (m.metadata as JsonObject).name === 'platform-environment');
    expect(config, 'platform-environment is installed').toBeDefined();
    const data = platformEnvironmentSchema.parse(config?.data);
    expect(data.gateways).toEqual(GATEWAYS);
    for (const visibility of ['public', 'internal'] as const) {
      const ref = GATEWAYS[visibility];
      const gateway = manifest(dev, `object-envoy-gateway-${visibility}`);
      expect(gateway.metadata).toMatchObject({ name: ref.name, namespace: ref.namespace });
      expect((gateway.spec as { listeners: { name: string }[] }).listeners.map((l) => l.name)).toContain(ref.sectionName);
    }
    expect(data.secrets?.store).toEqual(PLATFORM_SECRET_STORE);
    expect(data.secrets?.prefix).toBe('dev/');
  });
});

describe('edge add-ons: order', () => {
  const xr = { ...readManifest('examples/environment/dev.yaml'), metadata: { ...(readManifest('examples/environment/dev.yaml').metadata as JsonObject), uid: 'settled' } };
  const required = environmentRequired();
  const render = (observed: Resources) => resourcesOf(runFunction(request(xr, { required, observed }), { ttlSeconds: 60 }).response);
  const without = (keys: string[]) => observeAll(Object.fromEntries(Object.entries(dev).filter(([k]) => !keys.includes(k))), environmentComputed('dev'));
  const notReady = (observed: Resources, key: string): Resources => ({ ...observed, [key]: { ...observed[key], status: { conditions: [{ type: 'Ready', status: 'False' }] } } as JsonObject });

  it('Envoy Gateway waits for cert-manager and the load balancer controller', () => {
    const gatewayKeys = Object.keys(dev).filter((k) => k.includes('envoy-gateway'));
    for (const dependency of ['release-cert-manager', 'release-aws-load-balancer-controller']) {
      const rendered = render(notReady(without(gatewayKeys), dependency));
      expect(rendered['release-envoy-gateway'], dependency).toBeUndefined();
    }
    expect(render(without(gatewayKeys))['release-envoy-gateway']).toBeDefined();
  });

  it('objects wait for their release, and an observed release is never dropped', () => {
    const rendered = render(notReady(without(['object-external-secrets-store', 'object-cert-manager-issuer']), 'release-external-secrets'));
    expect(rendered['object-external-secrets-store']).toBeUndefined();
    expect(rendered['release-external-secrets']).toBeDefined();
    expect(rendered['object-cert-manager-issuer']).toBeDefined();
  });
});
