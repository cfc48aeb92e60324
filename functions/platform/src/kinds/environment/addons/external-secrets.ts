import type { PolicyStatement } from '../../../resources/aws/iam-policy.js';
import { namespaceSecretPrefix, type SecretStoreRef } from '../../../resources/external-secrets.js';
import type { EnvironmentContext } from '../context.js';
import { RDS_MANAGED_SECRET_PATTERN } from '../database.js';
import { PROJECT_NAMESPACE_LABEL } from './envoy-gateway.js';
import { everywhere, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

const CHART = 'external-secrets';

/** The operator's service account: its role trusts exactly this one. */
export const EXTERNAL_SECRETS_SERVICE_ACCOUNT = { namespace: 'external-secrets', name: 'external-secrets' };

/**
 * The store every project kind uses (`platform-environment` `data.secrets.store`):
 * AWS Secrets Manager in the environment's region, through the operator's own identity.
 */
export const PLATFORM_SECRET_STORE: SecretStoreRef = { kind: 'ClusterSecretStore', name: 'platform-secrets' };

/**
 * The namespaces where the Environment itself composes ExternalSecrets on
 * `platform-secrets`: Alloy (Grafana Cloud credentials), and on-prem External
 * DNS and cert-manager (TSIG secret, issuing CA, often under `global/`). They
 * read keys outside any project's prefix, so the admission policy exempts
 * them; test/external-secrets-isolation.test.ts checks this list against what
 * every example Environment renders.
 */
export const PLATFORM_SECRET_NAMESPACES: readonly string[] = ['alloy', 'cert-manager', 'external-dns'];

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
/** Name of the admission policy (and its binding) that keeps each namespace to its own keys. */
export const SECRET_ISOLATION_POLICY = 'platform-secrets-isolation';

/**
 * CEL: whether a store reference (`ref`, a CEL expression) may reach
 * `platform-secrets`: by name, or through a label selector (PushSecret),
 * which could select it. ESO's default kind is SecretStore.
 */
function reachesPlatformStore(ref: string): string {
  return `(has(${ref}.kind) && ${ref}.kind == 'ClusterSecretStore' && ((has(${ref}.name) && ${ref}.name == '${PLATFORM_SECRET_STORE.name}') || has(${ref}.labelSelector)))`;
}

/** CEL: whether a remote key (`key`, a CEL expression) lies under the requesting namespace's own prefix. */
function ownKey(key: string): string {
  return `(${key}.startsWith(variables.ownPrefix) && !${key}.contains('..'))`;
}

/**
 * CEL: whether an ExternalSecret entry (`item`, in spec.data or spec.dataFrom)
 * reads from `platform-secrets`: its own sourceRef.storeRef, else the
 * ExternalSecret's secretStoreRef; a generator entry reads no store.
 */
function entryReadsPlatformStore(item: string): string {
  return `(has(${item}.sourceRef) && has(${item}.sourceRef.storeRef) ? ${reachesPlatformStore(`${item}.sourceRef.storeRef`)} : !(has(${item}.sourceRef) && has(${item}.sourceRef.generatorRef)) && variables.defaultStoreIsPlatform)`;
}

/**
 * ValidatingAdmissionPolicy: outside the platform's own namespaces, an
 * ExternalSecret or PushSecret on `platform-secrets` reaches only keys under
 * `<environment>/db/<its namespace>/` (every field that names a key:
 * ExternalSecret data[].remoteRef.key and dataFrom[].extract.key, PushSecret
 * data[].match.remoteRef.remoteKey and dataTo[].remoteKey); `dataFrom.find`
 * and PushSecret's per-key `dataTo` cannot be bounded by a prefix and are
 * refused on that store; and a namespaced AWS SecretStore must name its own
 * credentials, because without `auth` it would run with the operator's
 * identity, which reaches every project's keys.
 */
function isolationPolicy(ctx: EnvironmentContext): Record<string, unknown> {
  const isKind = (kind: string) => `object.kind == '${kind}'`;
  const forEach = (list: string, item: string, rule: string) => `!has(${list}) || ${list}.all(${item}, ${rule})`;
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: SECRET_ISOLATION_POLICY },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [{ apiGroups: ['external-secrets.io'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['externalsecrets', 'pushsecrets', 'secretstores'] }],
      },
      variables: [
        { name: 'ownPrefix', expression: `'${namespaceSecretPrefix(environmentSecretPrefix(ctx), "' + request.namespace + '")}'` },
        {
          name: 'defaultStoreIsPlatform',
          expression: `${isKind('ExternalSecret')} && has(object.spec.secretStoreRef) && ${reachesPlatformStore('object.spec.secretStoreRef')}`,
        },
        { name: 'pushesToPlatform', expression: `${isKind('PushSecret')} && has(object.spec.secretStoreRefs) && object.spec.secretStoreRefs.exists(r, ${reachesPlatformStore('r')})` },
      ],
      validations: [
        {
          expression: `!${isKind('ExternalSecret')} || ${forEach('object.spec.data', 'd', `!${entryReadsPlatformStore('d')} || ${ownKey('d.remoteRef.key')}`)}`,
          messageExpression: `'spec.data[].remoteRef.key: cannot read a key outside ' + variables.ownPrefix + ' from ClusterSecretStore ${PLATFORM_SECRET_STORE.name} in namespace ' + request.namespace + '; keep the key under that prefix'`,
          reason: 'Forbidden',
        },
        {
          expression: `!${isKind('ExternalSecret')} || ${forEach('object.spec.dataFrom', 'f', `!${entryReadsPlatformStore('f')} || !has(f.find)`)}`,
          message: `spec.dataFrom[].find: cannot search ClusterSecretStore ${PLATFORM_SECRET_STORE.name}: a search is not bounded by the namespace's prefix; name each key with data[].remoteRef.key or dataFrom[].extract.key`,
          reason: 'Forbidden',
        },
        {
          expression: `!${isKind('ExternalSecret')} || ${forEach('object.spec.dataFrom', 'f', `!${entryReadsPlatformStore('f')} || !has(f.extract) || ${ownKey('f.extract.key')}`)}`,
          messageExpression: `'spec.dataFrom[].extract.key: cannot read a key outside ' + variables.ownPrefix + ' from ClusterSecretStore ${PLATFORM_SECRET_STORE.name} in namespace ' + request.namespace + '; keep the key under that prefix'`,
          reason: 'Forbidden',
        },
        {
          expression: `!variables.pushesToPlatform || ${forEach('object.spec.data', 'd', ownKey('d.match.remoteRef.remoteKey'))}`,
          messageExpression: `'spec.data[].match.remoteRef.remoteKey: cannot push to a key outside ' + variables.ownPrefix + ' of ClusterSecretStore ${PLATFORM_SECRET_STORE.name} in namespace ' + request.namespace + '; keep the key under that prefix'`,
          reason: 'Forbidden',
        },
        {
          expression: `!${isKind('PushSecret')} || ${forEach('object.spec.dataTo', 't', `!(has(t.storeRef) && ${reachesPlatformStore('t.storeRef')}) || (has(t.remoteKey) && ${ownKey('t.remoteKey')})`)}`,
          messageExpression: `'spec.dataTo[]: cannot push to ClusterSecretStore ${PLATFORM_SECRET_STORE.name} except as one remoteKey under ' + variables.ownPrefix + ' in namespace ' + request.namespace + ' (per-key pushes are not bounded by the prefix)'`,
          reason: 'Forbidden',
        },
        {
          expression: `!${isKind('SecretStore')} || !has(object.spec.provider.aws) || has(object.spec.provider.aws.auth)`,
          message: 'spec.provider.aws.auth: cannot create an AWS SecretStore without auth: it would run with the External Secrets operator\'s own identity; name a service account (auth.jwt) or a Secret (auth.secretRef) of this namespace',
          reason: 'Forbidden',
        },
      ],
    },
  };
}

/** Binds the isolation policy everywhere except the platform's own namespaces, denying what it refuses. */
function isolationBinding(): Record<string, unknown> {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: SECRET_ISOLATION_POLICY },
    spec: {
      policyName: SECRET_ISOLATION_POLICY,
      validationActions: ['Deny'],
      matchResources: {
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...PLATFORM_SECRET_NAMESPACES].sort() }] },
      },
    },
  };
}

/**
 * Which namespaces may use `platform-secrets` at all (ESO admits a namespace
 * that any one condition matches): project namespaces, by the label the
 * platform puts on them, and the platform's own.
 */
function storeConditions(): Array<Record<string, unknown>> {
  return [{ namespaceSelector: { matchLabels: { [PROJECT_NAMESPACE_LABEL]: 'true' } } }, { namespaces: [...PLATFORM_SECRET_NAMESPACES].sort() }];
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
        spec: { provider: secretStoreProvider(ctx), conditions: storeConditions() },
      },
      'isolation-policy': isolationPolicy(ctx),
      'isolation-binding': isolationBinding(),
    };
  },
};
