import { describe, expect, it } from 'vitest';
import { Severity } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../functions/platform/src/run-function.js';
import { settledProblems } from './helpers/settled-checks.js';
import { environmentRequired, readManifest, request, type JsonObject } from './helpers/requests.js';
import { settleEnvironment } from './helpers/settle.js';

const onprem = readManifest('examples/environment/onprem.yaml');

/** The on-prem example with its spec changed. */
function withSpec(spec: JsonObject): JsonObject {
  return { ...onprem, spec: { ...(onprem.spec as JsonObject), ...spec } };
}

/** The Object's manifest under a composition-resource key. */
function manifestOf(resources: Record<string, JsonObject>, key: string): JsonObject {
  return ((resources[key]?.spec as JsonObject | undefined)?.forProvider as JsonObject | undefined)?.manifest as JsonObject;
}

function valuesOf(resources: Record<string, JsonObject>, key: string): JsonObject {
  return ((resources[key]?.spec as JsonObject).forProvider as JsonObject).values as JsonObject;
}

/** Fatal messages of one first-call render with the repository's base and onprem configs. */
function fatals(xr: JsonObject): string[] {
  // The Hub is supplied so that a spec naming one gets past the requirements to the composer's verdict.
  const required = environmentRequired();
  const response = runFunction(request({ ...xr, metadata: { ...(xr.metadata as JsonObject), uid: 'onprem' } }, { required }), { ttlSeconds: 60 }).response;
  return response.results.filter((r) => r.severity === Severity.SEVERITY_FATAL).map((r) => r.message);
}

describe('an on-prem Environment, fully created (examples/environment/onprem.yaml)', () => {
  const { resources, rounds, response } = settleEnvironment(onprem);
  const manifests = Object.values(resources);

  it(`settles in ${rounds} rounds with the operators installed on the existing cluster`, () => {
    expect(Object.keys(resources)).toEqual(
      expect.arrayContaining([
        'provider-config-helm',
        'provider-config-kubernetes',
        'release-longhorn',
        'release-openebs',
        'release-external-dns',
        'release-external-secrets',
        'release-cert-manager',
        'release-envoy-gateway',
        'release-istiod',
        'release-kube-prometheus-stack',
        'release-minio',
        'release-loki',
        'release-alloy',
        'release-crossplane',
        'object-storage-classes-fast',
        'object-storage-classes-standard',
        'object-storage-classes-bulk',
        'object-crossplane-environment-config',
      ]),
    );
    expect(response.desired?.composite?.resource?.status).toEqual({ clusterName: 'onprem-dc1', zone: { name: 'onprem.projectcatalyst.io' } });
  });

  it('composes no AWS managed resource and nothing that only makes sense on AWS', () => {
    const aws = manifests.filter((m) => String(m.apiVersion).includes('.aws.m.upbound.io') || String(m.apiVersion).includes('.aws.upbound.io'));
    expect(aws).toEqual([]);
    for (const key of ['cluster-auth', 'release-aws-load-balancer-controller', 'release-karpenter', 'release-velero', 'release-cilium', 'object-storage-classes-snapshot-class']) {
      expect(resources[key], key).toBeUndefined();
    }
    expect(JSON.stringify(manifests)).not.toMatch(/amazonaws|service\.k8s\.aws|eks\.amazonaws\.com/);
  });

  it('reaches the cluster through the kubeconfig Secret named in the spec, in the Environment\'s namespace', () => {
    const credentials = { source: 'Secret', secretRef: { name: 'onprem-kubeconfig', namespace: 'env-onprem', key: 'kubeconfig' } };
    expect(resources['provider-config-helm']).toMatchObject({ apiVersion: 'helm.m.crossplane.io/v1beta1', kind: 'ProviderConfig', spec: { credentials } });
    expect(resources['provider-config-kubernetes']).toMatchObject({ apiVersion: 'kubernetes.m.crossplane.io/v1alpha1', kind: 'ProviderConfig', spec: { credentials } });
  });

  it('every manifest (Object contents included) fits the real schemas, every release its chart, and every security check passes', () => {
    const problems = settledProblems(resources);
    expect(problems.schema).toEqual([]);
    expect(problems.charts).toEqual([]);
    expect(problems.security).toEqual([]);
  });

  it('maps fast, standard and bulk to OpenEBS LVM, Longhorn and CephFS', () => {
    const provisioner = (key: string) => manifestOf(resources, `object-storage-classes-${key}`).provisioner;
    expect([provisioner('fast'), provisioner('standard'), provisioner('bulk')]).toEqual(['local.csi.openebs.io', 'driver.longhorn.io', 'rook-ceph.cephfs.csi.ceph.com']);
    expect(valuesOf(resources, 'release-longhorn')).toMatchObject({ persistence: { defaultClass: false } });
  });

  it('keeps secrets in Vault and signs the wildcard certificate with the platform CA', () => {
    expect(manifestOf(resources, 'object-external-secrets-store')).toMatchObject({
      kind: 'ClusterSecretStore',
      spec: { provider: { vault: { server: 'https://vault.dc1.projectcatalyst.internal:8200', path: 'secret', version: 'v2', auth: { kubernetes: { role: 'external-secrets-onprem' } } } } },
    });
    expect(manifestOf(resources, 'object-cert-manager-issuer')).toMatchObject({ kind: 'ClusterIssuer', metadata: { name: 'platform-ca' }, spec: { ca: { secretName: 'platform-ca' } } });
    expect(manifestOf(resources, 'object-envoy-gateway-certificate')).toMatchObject({ spec: { dnsNames: ['*.onprem.projectcatalyst.io', 'onprem.projectcatalyst.io'], issuerRef: { name: 'platform-ca' } } });
    expect(manifestOf(resources, 'object-envoy-gateway-proxy-public')).toMatchObject({ spec: { provider: { kubernetes: { envoyService: { type: 'LoadBalancer' } } } } });
  });

  it('publishes records by RFC 2136 for this zone only, the TSIG secret from Vault in an environment variable', () => {
    const values = valuesOf(resources, 'release-external-dns');
    expect(values).toMatchObject({ provider: { name: 'rfc2136' }, domainFilters: ['onprem.projectcatalyst.io'], txtOwnerId: 'onprem-dc1' });
    expect(values.extraArgs).toEqual(expect.arrayContaining(['--rfc2136-host=ns1.dc1.projectcatalyst.internal', '--rfc2136-zone=onprem.projectcatalyst.io', '--rfc2136-tsig-secret-alg=hmac-sha256']));
    expect(manifestOf(resources, 'object-onprem-secrets-tsig-external-dns')).toMatchObject({ spec: { data: [{ secretKey: 'secret', remoteRef: { key: 'global/dns/onprem-tsig', property: 'secret' } }] } });
  });

  it('keeps logs in an in-cluster MinIO whose credentials are generated in the cluster, and Alloy writes to Prometheus and Loki', () => {
    expect(manifestOf(resources, 'object-onprem-secrets-minio-root')).toMatchObject({ spec: { refreshPolicy: 'CreatedOnce', dataFrom: [{ sourceRef: { generatorRef: { kind: 'Password', name: 'minio' } } }] } });
    expect(valuesOf(resources, 'release-minio')).toMatchObject({ mode: 'standalone', existingSecret: 'minio-root', persistence: { storageClass: 'standard', size: '200Gi' } });
    const loki = valuesOf(resources, 'release-loki');
    expect(loki).toMatchObject({ loki: { storage: { s3: { endpoint: 'minio.monitoring.svc:9000', s3ForcePathStyle: true } } } });
    // No credential value in the function's output: only references to the Secret made in the cluster.
    expect((loki.singleBinary as JsonObject).extraEnv).toEqual([
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'loki-s3', key: 'accessKeyId' } } },
      { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'loki-s3', key: 'secretAccessKey' } } },
    ]);
    const alloyConfig = String(((valuesOf(resources, 'release-alloy').alloy as JsonObject).configMap as JsonObject).content);
    expect(alloyConfig).toContain('http://kube-prometheus-stack-prometheus.monitoring.svc:9090/api/v1/write');
    expect(alloyConfig).toContain('http://loki.monitoring.svc:3100/loki/api/v1/push');
    expect(valuesOf(resources, 'release-kube-prometheus-stack')).toMatchObject({
      grafana: { enabled: true, additionalDataSources: [{ type: 'loki', url: 'http://loki.monitoring.svc:3100' }, { type: 'tempo', url: 'http://tempo.monitoring.svc:3200' }] },
    });
    // Traces on MinIO too, as a MinIO user of Tempo's own with a generated password.
    expect(valuesOf(resources, 'release-tempo')).toMatchObject({ tempo: { storage: { trace: { backend: 's3', s3: { bucket: 'tempo', endpoint: 'minio.monitoring.svc:9000', forcepathstyle: true } } } } });
    expect(manifestOf(resources, 'object-onprem-secrets-tempo-s3')).toMatchObject({ spec: { refreshPolicy: 'CreatedOnce', target: { name: 'tempo-s3' } } });
    expect(valuesOf(resources, 'release-minio')).toMatchObject({ users: [{ accessKey: 'loki' }, { accessKey: 'tempo', existingSecret: 'tempo-s3' }] });
  });

  it('installs platform-environment without a database section when no on-prem database is configured', () => {
    const data = manifestOf(resources, 'object-crossplane-environment-config').data as JsonObject;
    expect(data).toMatchObject({ environment: 'onprem', zone: 'onprem.projectcatalyst.io', secrets: { prefix: 'onprem/', store: { kind: 'ClusterSecretStore', name: 'platform-secrets' } } });
    expect(data.database).toBeUndefined();
    expect(Object.keys(resources).filter((k) => k.startsWith('object-database-access-'))).toEqual([]);
  });
});

describe('an on-prem Environment with a database and ACME', () => {
  const overrides = {
    onprem: {
      database: { host: 'pg.dc1.projectcatalyst.internal', port: 5432, sslMode: 'verify-full', username: 'forge_admin', password: { key: 'onprem/db/root_account', property: 'password' }, vaultRole: 'platform-database-root-onprem' },
      certificates: { issuer: 'acme', server: 'https://acme.dc1.projectcatalyst.internal/acme/acme/directory', caSecret: null },
      gateways: { public: { annotations: { 'metallb.io/address-pool': 'public' } } },
    },
  };
  const { resources } = settleEnvironment(withSpec({ overrides }));
  const manifests = Object.values(resources);

  it('gives Database XRs the configured PostgreSQL through a store only the reader can use', () => {
    expect((manifestOf(resources, 'object-crossplane-environment-config').data as JsonObject).database).toEqual({
      host: 'pg.dc1.projectcatalyst.internal',
      port: 5432,
      providerConfigName: 'platform-database',
      sslMode: 'verify-full',
    });
    expect(manifestOf(resources, 'object-database-access-store')).toMatchObject({
      kind: 'SecretStore',
      spec: { provider: { vault: { auth: { kubernetes: { role: 'platform-database-root-onprem', serviceAccountRef: { name: 'platform-database-root-reader' } } } } } },
    });
    expect(manifestOf(resources, 'object-database-access-provider-config')).toMatchObject({ spec: { sslMode: 'verify-full' } });
  });

  it('issues the wildcard certificate by ACME DNS-01 over RFC 2136, and the Gateway Services carry the configured annotations', () => {
    expect(manifestOf(resources, 'object-cert-manager-issuer')).toMatchObject({
      metadata: { name: 'acme' },
      spec: { acme: { solvers: [{ dns01: { rfc2136: { nameserver: 'ns1.dc1.projectcatalyst.internal:53', tsigAlgorithm: 'HMACSHA256', tsigSecretSecretRef: { name: 'rfc2136-tsig', key: 'secret' } } } }] } },
    });
    expect(resources['object-onprem-secrets-tsig-cert-manager']).toBeDefined();
    expect(manifestOf(resources, 'object-envoy-gateway-proxy-public')).toMatchObject({ spec: { provider: { kubernetes: { envoyService: { annotations: { 'metallb.io/address-pool': 'public' } } } } } });
  });

  it('every manifest validates and no AWS resource is composed', () => {
    expect(settledProblems(resources).schema).toEqual([]);
    expect(manifests.filter((m) => String(m.apiVersion).includes('.aws.'))).toEqual([]);
  });
});

describe('on-prem bad input', () => {
  const cases: Array<{ reason: string; xr: JsonObject; want: string }> = [
    {
      reason: 'a missing kubeconfigSecretRef',
      xr: withSpec({ kubeconfigSecretRef: undefined }),
      want: "spec.kubeconfigSecretRef: required when provider is onprem: name the Secret in this Environment's namespace that holds the existing cluster's kubeconfig",
    },
    {
      reason: 'no domain in the spec nor in the EnvironmentConfig',
      xr: withSpec({ domain: undefined, overrides: { dns: { domain: null } } }),
      want: 'data.dns.domain: required when provider is onprem (the zone is <environment>.<domain>): set it in the EnvironmentConfig, or spec.domain to override it for one Environment',
    },
    {
      reason: 'a Hub reference',
      xr: withSpec({ network: { hubRef: { name: 'hub', namespace: 'network-hub' } } }),
      want: 'spec.network.hubRef: a Hub attaches AWS VPCs only; remove it when provider is onprem',
    },
    { reason: 'config without an onprem section', xr: withSpec({ overrides: { onprem: null } }), want: 'cannot use the merged EnvironmentConfig: data.onprem: required when provider is onprem' },
    {
      reason: 'ACME without RFC 2136 DNS',
      xr: withSpec({ overrides: { onprem: { dns: { provider: 'none', host: null, port: null, tsigKeyName: null, tsigAlgorithm: null, tsigSecret: null }, certificates: { issuer: 'acme', server: 'https://acme.example/directory', caSecret: null } } } }),
      want: 'data.onprem.certificates.issuer: acme needs dns.provider rfc2136: the wildcard certificate is only issued through DNS-01',
    },
  ];
  for (const tc of cases) {
    it(`${tc.reason} is a Fatal naming the field`, () => {
      expect(fatals(tc.xr)).toEqual([expect.stringContaining(tc.want)]);
    });
  }
});
