/**
 * What the `platform-secrets-*` admission policies of environment `dev` must
 * admit and refuse, as data an end-to-end harness can replay against a real
 * API server: install the External Secrets CRDs, the policies and bindings
 * (objects `object-external-secrets-policy-*` of the dev Environment), create
 * the namespace, then `kubectl create --dry-run=server`
 * each object in it and expect admission (`allowed`) or a denial whose
 * message contains `denied` (the field path the rule names).
 *
 * Every object here is valid against the real External Secrets CRDs
 * (test/external-secrets-isolation.test.ts checks that with the real
 * `crossplane resource validate`), so a denial can only come from the policy.
 */
type JsonObject = Record<string, unknown>;

export interface IsolationCase {
  reason: string;
  namespace: string;
  object: JsonObject;
  /** Undefined: admitted. Otherwise a substring of the denial message. */
  denied?: string;
}

const STORE = { kind: 'ClusterSecretStore', name: 'platform-secrets' };

function externalSecret(spec: JsonObject): JsonObject {
  return { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'case' }, spec: { refreshInterval: '1h', target: { name: 'case' }, ...spec } };
}

function pushSecret(spec: JsonObject): JsonObject {
  return {
    apiVersion: 'external-secrets.io/v1alpha1',
    kind: 'PushSecret',
    metadata: { name: 'case' },
    spec: { refreshInterval: '1h', selector: { secret: { name: 'case' } }, ...spec },
  };
}

const read = (key: string, store: JsonObject = STORE) => externalSecret({ secretStoreRef: store, data: [{ secretKey: 'value', remoteRef: { key, property: 'password' } }] });
const push = (remoteKey: string, refs: JsonObject[] = [STORE]) => pushSecret({ secretStoreRefs: refs, data: [{ match: { secretKey: 'password', remoteRef: { remoteKey, property: 'password' } } }] });

export const ISOLATION_CASES: readonly IsolationCase[] = [
  // Admitted.
  { reason: 'a project reads its own Database password', namespace: 'team', object: read('dev/db/team/orders') },
  { reason: 'a project pushes its own Database password', namespace: 'team', object: push('dev/db/team/orders') },
  { reason: 'extract (a whole secret) under the own prefix', namespace: 'team', object: externalSecret({ secretStoreRef: STORE, dataFrom: [{ extract: { key: 'dev/db/team/orders' } }] }) },
  {
    reason: 'another store (a SecretStore of the namespace) is not bounded by the policy',
    namespace: 'team',
    object: read('anything/at/all', { kind: 'SecretStore', name: 'own-vault' }),
  },
  {
    reason: 'a generator entry reads no store, even when the default store is platform-secrets',
    namespace: 'team',
    object: externalSecret({ secretStoreRef: STORE, dataFrom: [{ sourceRef: { generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: 'p' } } }] }),
  },
  { reason: 'the platform namespaces read platform keys (on-prem TSIG under global/)', namespace: 'external-dns', object: read('global/dns/tsig') },
  { reason: 'cert-manager reads the issuing CA', namespace: 'cert-manager', object: read('global/pki/ca') },
  { reason: 'Alloy reads the Grafana Cloud credentials', namespace: 'alloy', object: read('dev/observability/grafana-cloud') },
  {
    reason: 'an AWS SecretStore that names its own service account',
    namespace: 'team',
    object: {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'own' },
      spec: { provider: { aws: { service: 'SecretsManager', region: 'eu-central-1', auth: { jwt: { serviceAccountRef: { name: 'team-secrets' } } } } } },
    },
  },

  // Refused.
  { reason: "another project's Database password", namespace: 'team', object: read('dev/db/team-a/orders'), denied: 'spec.data[].remoteRef.key' },
  { reason: "the old layout: namespace team would own team-a's keys", namespace: 'team', object: read('dev/db/team-a-orders'), denied: 'spec.data[].remoteRef.key' },
  { reason: 'a path that climbs out of the own prefix', namespace: 'team', object: read('dev/db/team/../team-a/orders'), denied: 'spec.data[].remoteRef.key' },
  { reason: 'the on-prem database root password', namespace: 'team', object: read('dev/db/root_account'), denied: 'spec.data[].remoteRef.key' },
  { reason: 'global/ holds the platform TSIG and CA keys: not for projects', namespace: 'team', object: read('global/dns/tsig'), denied: 'spec.data[].remoteRef.key' },
  { reason: 'a secret by ARN cannot be bounded by name', namespace: 'team', object: read('arn:aws:secretsmanager:eu-central-1:111111111111:secret:dev/db/team/orders'), denied: 'spec.data[].remoteRef.key' },
  {
    reason: 'an entry whose own storeRef is platform-secrets, under another default store',
    namespace: 'team',
    object: externalSecret({ secretStoreRef: { kind: 'SecretStore', name: 'own-vault' }, data: [{ secretKey: 'v', remoteRef: { key: 'dev/db/team-a/orders' }, sourceRef: { storeRef: STORE } }] }),
    denied: 'spec.data[].remoteRef.key',
  },
  { reason: 'extract of another project', namespace: 'team', object: externalSecret({ secretStoreRef: STORE, dataFrom: [{ extract: { key: 'dev/db/team-a/orders' } }] }), denied: 'spec.dataFrom[].extract.key' },
  { reason: 'find searches every key, whatever its prefix', namespace: 'team', object: externalSecret({ secretStoreRef: STORE, dataFrom: [{ find: { path: 'dev/db/team/' } }] }), denied: 'spec.dataFrom[].find' },
  { reason: 'push over another project', namespace: 'team', object: push('dev/db/team-a/orders'), denied: 'spec.data[].match.remoteRef.remoteKey' },
  {
    reason: 'a label selector may select platform-secrets',
    namespace: 'team',
    object: push('dev/db/team-a/orders', [{ kind: 'ClusterSecretStore', labelSelector: { matchLabels: {} } }]),
    denied: 'spec.data[].match.remoteRef.remoteKey',
  },
  {
    reason: 'dataTo per key writes keys named by the source Secret',
    namespace: 'team',
    object: pushSecret({ secretStoreRefs: [STORE], dataTo: [{ storeRef: STORE }] }),
    denied: 'spec.dataTo[]',
  },
  {
    reason: 'an AWS SecretStore without auth runs with the operator identity',
    namespace: 'team',
    object: { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 'borrowed' }, spec: { provider: { aws: { service: 'SecretsManager', region: 'eu-central-1' } } } },
    denied: 'spec.provider.aws.auth',
  },
  { reason: 'an unlabelled, non-platform namespace is bound too', namespace: 'scratch', object: read('dev/db/team/orders'), denied: 'spec.data[].remoteRef.key' },
];
