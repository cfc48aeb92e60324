import type { EnvironmentContext } from '../context.js';
import { onOnprem, type AddonDefinition } from './addon.js';
import { PLATFORM_SECRET_STORE } from './external-secrets.js';

/** Add-on name; its objects are `object-onprem-secrets-<key>`. */
export const ONPREM_SECRETS = 'onprem-secrets';

/** Namespace of External DNS, which reads the TSIG secret from an environment variable. */
export const EXTERNAL_DNS_NAMESPACE = 'external-dns';

/** Namespace of cert-manager: ClusterIssuers read their secrets (CA, TSIG) from here. */
export const CERT_MANAGER_NAMESPACE = 'cert-manager';

/** Namespace of the in-cluster observability stack (Prometheus, Grafana, Loki, Tempo, MinIO). */
export const MONITORING_NAMESPACE = 'monitoring';

/** MinIO's S3 API in the cluster: release `minio` of chart `minio`, service port 9000. */
export const MINIO_ENDPOINT = `minio.${MONITORING_NAMESPACE}.svc:9000`;

/**
 * MinIO ignores the region, but S3 clients sign requests with one; MinIO's
 * default region is us-east-1.
 */
export const MINIO_REGION = 'us-east-1';

/**
 * A MinIO user's keys as the standard AWS_* variables, read from its Secret:
 * S3 clients fall back to them, so no key ever sits in a chart's config.
 */
export function minioCredentialsEnv(secretName: string): Array<Record<string, unknown>> {
  const fromSecret = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: secretName, key } } });
  return [fromSecret('AWS_ACCESS_KEY_ID', 'accessKeyId'), fromSecret('AWS_SECRET_ACCESS_KEY', 'secretAccessKey')];
}

/** Secret holding the RFC 2136 TSIG secret under key `secret` (in External DNS's and cert-manager's namespaces). */
export const TSIG_SECRET = 'rfc2136-tsig';

/** Secret (cert-manager namespace, type kubernetes.io/tls) holding the issuing CA. */
export const CA_SECRET = 'platform-ca';

/** Secret (monitoring) with MinIO's root credentials: keys rootUser, rootPassword. */
export const MINIO_ROOT_SECRET = 'minio-root';

/** Secret (monitoring) with Loki's own MinIO user: keys accessKeyId, secretAccessKey. */
export const LOKI_S3_SECRET = 'loki-s3';

/** MinIO user Loki writes as; its policy reaches only the Loki bucket. */
export const LOKI_S3_USER = 'loki';

/** Secret (monitoring) with Tempo's own MinIO user: keys accessKeyId, secretAccessKey. */
export const TEMPO_S3_SECRET = 'tempo-s3';

/** MinIO user Tempo writes as; its policy reaches only the Tempo bucket. */
export const TEMPO_S3_USER = 'tempo';

/** Bucket of the in-cluster MinIO that Tempo keeps traces in (on-prem). */
export const TEMPO_BUCKET = 'tempo';

/** Object keys other add-ons wait for. */
export const ONPREM_SECRET_KEYS = {
  externalDnsTsig: `object-${ONPREM_SECRETS}-tsig-external-dns`,
  minioRoot: `object-${ONPREM_SECRETS}-minio-root`,
  lokiS3: `object-${ONPREM_SECRETS}-loki-s3`,
  tempoS3: `object-${ONPREM_SECRETS}-tempo-s3`,
} as const;

const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

/** A Secret copied from the environment's ClusterSecretStore (Vault on-prem). */
function synced(name: string, ns: string, data: Array<{ secretKey: string; key: string; property: string }>, type?: string) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: PLATFORM_SECRET_STORE.kind, name: PLATFORM_SECRET_STORE.name },
      target: { name, creationPolicy: 'Owner', ...(type !== undefined ? { template: { engineVersion: 'v2', type } } : {}) },
      data: data.map((d) => ({ secretKey: d.secretKey, remoteRef: { key: d.key, property: d.property } })),
    },
  };
}

/**
 * A Secret whose password External Secrets generates in the cluster, once
 * (`CreatedOnce`: a refresh never rotates it under a running MinIO). The
 * function never sees the value.
 */
function generated(name: string, generator: string, templateData: Record<string, string>) {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: MONITORING_NAMESPACE },
    spec: {
      refreshPolicy: 'CreatedOnce',
      target: { name, creationPolicy: 'Owner', template: { engineVersion: 'v2', type: 'Opaque', data: templateData } },
      dataFrom: [{ sourceRef: { generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: generator } } }],
    },
  };
}

/** Whether the in-cluster observability stack (and so MinIO for Loki) runs. */
export function observabilityInCluster(ctx: EnvironmentContext): boolean {
  return ctx.config.observability.mode === 'in-cluster';
}

/**
 * The secrets the on-prem operators read, in place before they start (a
 * release whose pods lack a Secret never becomes ready, and an add-on's own
 * objects wait for its release): the TSIG secret for RFC 2136, the issuing
 * CA, both synced from Vault; MinIO's root credentials and Loki's and Tempo's MinIO users,
 * generated in the cluster by External Secrets. The namespaces come first.
 */
export const onpremSecrets: AddonDefinition = {
  name: ONPREM_SECRETS,
  enabled: onOnprem,
  // ExternalSecret and Password are CRDs of External Secrets.
  dependsOn: ['external-secrets'],
  objects(ctx) {
    const onprem = ctx.onpremConfig;
    const objects: Record<string, Record<string, unknown>> = {};
    if (onprem === undefined) return objects;
    const { dns, certificates } = onprem;
    if (dns.provider === 'rfc2136') {
      const tsig = [{ secretKey: 'secret', key: dns.tsigSecret.key, property: dns.tsigSecret.property }];
      objects['namespace-external-dns'] = namespace(EXTERNAL_DNS_NAMESPACE);
      objects['tsig-external-dns'] = synced(TSIG_SECRET, EXTERNAL_DNS_NAMESPACE, tsig);
      if (certificates.issuer === 'acme') objects['tsig-cert-manager'] = synced(TSIG_SECRET, CERT_MANAGER_NAMESPACE, tsig);
    }
    if (certificates.issuer === 'ca') {
      const key = certificates.caSecret.key;
      objects['ca'] = synced(
        CA_SECRET,
        CERT_MANAGER_NAMESPACE,
        [
          { secretKey: 'tls.crt', key, property: 'tls.crt' },
          { secretKey: 'tls.key', key, property: 'tls.key' },
        ],
        'kubernetes.io/tls',
      );
    }
    objects['namespace-cert-manager'] = namespace(CERT_MANAGER_NAMESPACE);
    if (observabilityInCluster(ctx)) {
      objects['namespace-monitoring'] = namespace(MONITORING_NAMESPACE);
      objects['password-generator'] = {
        apiVersion: 'generators.external-secrets.io/v1alpha1',
        kind: 'Password',
        metadata: { name: 'minio', namespace: MONITORING_NAMESPACE },
        // Letters and digits only: the values go into URLs and environment variables unquoted.
        spec: { length: 40, digits: 10, symbols: 0, noUpper: false, allowRepeat: true },
      };
      objects['minio-root'] = generated(MINIO_ROOT_SECRET, 'minio', { rootUser: 'minio-root', rootPassword: '{{ .password }}' });
      objects['loki-s3'] = generated(LOKI_S3_SECRET, 'minio', { accessKeyId: LOKI_S3_USER, secretAccessKey: '{{ .password }}' });
      objects['tempo-s3'] = generated(TEMPO_S3_SECRET, 'minio', { accessKeyId: TEMPO_S3_USER, secretAccessKey: '{{ .password }}' });
    }
    return objects;
  },
};
