import { field } from '../../../resources/aws/composition.js';
import { irsaTrust, policy, policyJson } from '../../../resources/aws/iam-policy.js';
import type { EnvironmentContext } from '../context.js';
import { rootSecretArn } from '../database.js';
import type { AddonDefinition } from './addon.js';
import { DATABASE_PROVIDER_CONFIG } from './crossplane.js';

const COMPONENT = 'addons';
const NAMESPACE = 'crossplane-system';
/** The one service account allowed to read the database root password. */
const READER = { namespace: NAMESPACE, name: 'platform-database-root-reader' };
const STORE = 'platform-database-root';
const CONNECTION_SECRET = 'platform-database-root';

/** The reader's role, trusted through IRSA by exactly one service account (ESO's jwt auth), able to read only the root secret. */
function readerRole(ctx: EnvironmentContext): void {
  const issuer = ctx.observedString('cluster', 'identity', 'oidc', 'issuer');
  const issuerHost = issuer?.replace(/^https:\/\//, '');
  // RDS names the secret when it creates the instance; the role waits for it.
  const secretArn = rootSecretArn(ctx);
  ctx.add(
    'role-database-root-reader',
    COMPONENT,
    'iam.aws.m.upbound.io/v1beta1:Role',
    issuerHost !== undefined && secretArn !== undefined
      ? {
          assumeRolePolicy: policyJson(irsaTrust(ctx.arn('iam', `oidc-provider/${issuerHost}`, { global: true }), issuerHost, READER)),
          inlinePolicy: [
            {
              name: 'read-database-root',
              policy: policyJson(
                policy(
                  {
                    Sid: 'ReadRootSecret',
                    Effect: 'Allow',
                    Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
                    Resource: secretArn,
                  },
                  {
                    Sid: 'DecryptWithEnvironmentKey',
                    Effect: 'Allow',
                    Action: 'kms:Decrypt',
                    Resource: ctx.arn('kms', 'key/*'),
                    Condition: { StringEquals: { 'aws:ResourceTag/environment': ctx.environment, 'kms:ViaService': `secretsmanager.${ctx.region}.amazonaws.com` } },
                  },
                ),
              ),
            },
          ],
          tags: ctx.tags(COMPONENT, { addon: 'database-access' }),
        }
      : ctx.waiting(field('cluster', 'identity', 'oidc', 'issuer'), field('database', 'masterUserSecret', 'secretArn')),
  );
}

/** Where provider-sql's root connection comes from. */
interface RootConnection {
  host: string;
  port: number;
  username: string;
  /** The password in the secret store; it only ever exists in the cluster. */
  remoteRef: { key: string; property?: string };
}

/** The ExternalSecret that assembles provider-sql's connection Secret from the stored password. */
function connectionSecret(connection: RootConnection): Record<string, unknown> {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: CONNECTION_SECRET, namespace: NAMESPACE },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'SecretStore', name: STORE },
      target: {
        name: CONNECTION_SECRET,
        creationPolicy: 'Owner',
        template: { engineVersion: 'v2', data: { endpoint: connection.host, port: String(connection.port), username: connection.username, password: '{{ .password }}' } },
      },
      data: [{ secretKey: 'password', remoteRef: connection.remoteRef }],
    },
  };
}

/** The ClusterProviderConfig Database XRs use. */
function providerConfig(sslMode: string): Record<string, unknown> {
  return {
    apiVersion: 'postgresql.sql.m.crossplane.io/v1alpha1',
    kind: 'ClusterProviderConfig',
    metadata: { name: DATABASE_PROVIDER_CONFIG },
    spec: { credentials: { source: 'PostgreSQLConnectionSecret', connectionSecretRef: { name: CONNECTION_SECRET, namespace: NAMESPACE } }, sslMode },
  };
}

/**
 * On-prem, the same objects under the same keys for the configured
 * PostgreSQL: the reader's service account logs in to Vault through its own
 * Kubernetes-auth role (bound to that one account, allowed to read only the
 * admin password), never through the cluster-wide store.
 */
function onpremObjects(ctx: EnvironmentContext): Record<string, Record<string, unknown> | undefined> {
  const onprem = ctx.onprem.config;
  const database = onprem.database;
  if (database === undefined) return {};
  const vault = onprem.secretStore;
  return {
    'service-account': { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: READER.name, namespace: NAMESPACE } },
    store: {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: STORE, namespace: NAMESPACE },
      spec: {
        provider: {
          vault: {
            server: vault.server,
            path: vault.path,
            version: vault.version,
            auth: { kubernetes: { mountPath: vault.kubernetesAuth.mountPath, role: database.vaultRole, serviceAccountRef: { name: READER.name } } },
          },
        },
      },
    },
    'connection-secret': connectionSecret({
      host: database.host,
      port: database.port,
      username: database.username,
      remoteRef: { key: database.password.key, property: database.password.property },
    }),
    'provider-config': providerConfig(database.sslMode),
  };
}

/**
 * How provider-sql in the new cluster reaches the shared PostgreSQL as root:
 * a SecretStore of its own in crossplane-system (the cluster-wide store is
 * denied the root secret on purpose), an ExternalSecret that assembles the
 * connection Secret, and the ClusterProviderConfig `platform-database` that
 * Database XRs use. The password never passes through the function.
 */
export const databaseAccess: AddonDefinition = {
  name: 'database-access',
  // AWS: the environment's RDS instance. On-prem: only when the config names an existing PostgreSQL.
  enabled: (ctx) => ctx.provider === 'aws' || ctx.onpremConfig?.database !== undefined,
  dependsOn: ['crossplane', 'external-secrets'],
  waitFor: (ctx) => (ctx.provider === 'aws' ? ['role-database-root-reader'] : []),
  build(ctx) {
    if (ctx.provider === 'aws') readerRole(ctx);
  },
  objects(ctx) {
    if (ctx.provider !== 'aws') return onpremObjects(ctx);
    const host = ctx.observedString('database', 'address');
    const secretArn = rootSecretArn(ctx);
    const roleArn = ctx.observedString('role-database-root-reader', 'arn');
    return {
      'service-account':
        roleArn !== undefined
          ? { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: READER.name, namespace: NAMESPACE, annotations: { 'eks.amazonaws.com/role-arn': roleArn } } }
          : ctx.waiting(field('role-database-root-reader', 'arn')),
      store: {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: STORE, namespace: NAMESPACE },
        spec: { provider: { aws: { service: 'SecretsManager', region: ctx.region, auth: { jwt: { serviceAccountRef: { name: READER.name } } } } } },
      },
      'connection-secret':
        host !== undefined && secretArn !== undefined
          ? connectionSecret({ host, port: 5432, username: ctx.config.database.masterUsername, remoteRef: { key: secretArn, property: 'password' } })
          : ctx.waiting(field('database', 'address'), field('database', 'masterUserSecret', 'secretArn')),
      'provider-config': providerConfig('require'),
    };
  },
};
