import type { PolicyStatement } from '../../../resources/aws/iam-policy.js';
import type { SecretStoreRef } from '../../../resources/external-secrets.js';
import type { EnvironmentContext } from '../context.js';
import { RDS_MANAGED_SECRET_PATTERN } from '../database.js';
import { everywhere, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

const CHART = 'external-secrets';

/** The operator's service account: its role trusts exactly this one. */
export const EXTERNAL_SECRETS_SERVICE_ACCOUNT = { namespace: 'external-secrets', name: 'external-secrets' };

/**
 * The store every project kind uses (`platform-environment` `data.secrets.store`):
 * AWS Secrets Manager in the environment's region, through the operator's own identity.
 */
export const PLATFORM_SECRET_STORE: SecretStoreRef = { kind: 'ClusterSecretStore', name: 'platform-secrets' };

/** Prefix shared by every environment: read-only for all of them. */
export const GLOBAL_SECRET_PREFIX = 'global/';

/** `data.secrets.prefix` of `platform-environment`: this environment's own secrets. */
export function environmentSecretPrefix(ctx: EnvironmentContext): string {
  return `${ctx.environment}/`;
}

/**
 * Read and write (PushSecret creates, updates, tags and, with deletionPolicy
 * Delete, removes) under `<environment>/`; read only under `global/`. Never
 * the database root credentials (RDS's own secret): any namespace can point
 * an ExternalSecret at the ClusterSecretStore, so the operator must not be
 * able to hand them out, whatever else is granted later. No ListSecrets: it cannot be
 * scoped, so `dataFrom.find` is not supported; name secrets explicitly.
 */
export function externalSecretsPolicy(ctx: EnvironmentContext): PolicyStatement[] {
  const secrets = (prefix: string) => ctx.arn('secretsmanager', `secret:${prefix}*`);
  const read = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds'];
  return [
    {
      Sid: 'ReadWriteEnvironmentSecrets',
      Effect: 'Allow',
      Action: [...read, 'secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource', 'secretsmanager:UntagResource', 'secretsmanager:UpdateSecret'],
      Resource: secrets(environmentSecretPrefix(ctx)),
    },
    { Sid: 'ReadGlobalSecrets', Effect: 'Allow', Action: read, Resource: secrets(GLOBAL_SECRET_PREFIX) },
    {
      Sid: 'NeverTheDatabaseRoot',
      Effect: 'Deny',
      Action: [...read, 'secretsmanager:DeleteSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret'],
      Resource: ctx.arn('secretsmanager', `secret:${RDS_MANAGED_SECRET_PATTERN}`),
    },
  ];
}

/** Scheduling and size of one of the chart's three deployments (controller, webhook, cert controller). */
function component(ctx: EnvironmentContext, memory: string) {
  return {
    tolerations: [CRITICAL_ADDONS_TOLERATION],
    nodeSelector: SYSTEM_NODE_SELECTOR,
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory } },
    ...(highlyAvailable(ctx, CHART) ? { podDisruptionBudget: { enabled: true, minAvailable: 1 } } : {}),
  };
}

/**
 * The backend of `platform-secrets`. AWS: Secrets Manager in the region,
 * through the operator's Pod Identity role. On-prem: Vault KV from the
 * config, logging in with the operator's own service account through Vault's
 * Kubernetes auth; the Vault role's policy is what limits it to
 * `<environment>/*` and `global/*` (docs/environment-onprem.md).
 */
function secretStoreProvider(ctx: EnvironmentContext): Record<string, unknown> {
  const onprem = ctx.onpremConfig;
  if (onprem === undefined) return { aws: { service: 'SecretsManager', region: ctx.region } };
  const vault = onprem.secretStore;
  return {
    vault: {
      server: vault.server,
      path: vault.path,
      version: vault.version,
      auth: { kubernetes: { mountPath: vault.kubernetesAuth.mountPath, role: vault.kubernetesAuth.role, serviceAccountRef: EXTERNAL_SECRETS_SERVICE_ACCOUNT } },
    },
  };
}

/**
 * External Secrets Operator and the environment's ClusterSecretStore
 * `platform-secrets`: AWS Secrets Manager (the store names no credentials:
 * the operator's Pod Identity role is the only way in, scoped by
 * {@link externalSecretsPolicy}) or, on-prem, Vault.
 */
export const externalSecrets: AddonDefinition = {
  name: 'external-secrets',
  chart: { repository: 'https://charts.external-secrets.io', chart: 'external-secrets', version: '2.9.0' },
  enabled: everywhere,
  identity: { serviceAccount: EXTERNAL_SECRETS_SERVICE_ACCOUNT, statements: externalSecretsPolicy },
  release(ctx) {
    const replicas = replicasOf(ctx, CHART);
    return {
      chart: CHART,
      namespace: EXTERNAL_SECRETS_SERVICE_ACCOUNT.namespace,
      values: {
        installCRDs: true,
        replicaCount: replicas,
        // Several controller replicas must elect one leader; the chart leaves election off.
        leaderElect: replicas > 1,
        serviceAccount: { create: true, name: EXTERNAL_SECRETS_SERVICE_ACCOUNT.name },
        ...component(ctx, '256Mi'),
        webhook: { replicaCount: replicas, ...component(ctx, '128Mi') },
        certController: { replicaCount: replicas, ...component(ctx, '128Mi') },
      },
    };
  },
  objects(ctx) {
    return {
      store: {
        apiVersion: 'external-secrets.io/v1',
        kind: PLATFORM_SECRET_STORE.kind,
        metadata: { name: PLATFORM_SECRET_STORE.name },
        spec: { provider: secretStoreProvider(ctx) },
      },
    };
  },
};
