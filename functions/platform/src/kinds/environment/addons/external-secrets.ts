import type { PolicyStatement } from '../../../resources/aws/iam-policy.js';
import { namespaceSecretPrefix, type SecretStoreRef } from '../../../resources/external-secrets.js';
import type { EnvironmentContext } from '../context.js';
import { RDS_MANAGED_SECRET_PATTERN } from '../database.js';
// From trivy-admission, which imports nothing else (envoy-gateway's copy would close an import cycle through cert-manager).
import { PROJECT_NAMESPACE_LABEL } from './trivy-admission.js';
import { everywhere, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { scrapeAnnotations, scrapedThrough } from './monitors.js';

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

/** The metrics port of the chart's three deployments (metrics.listen.port and the webhook's and cert controller's). */
const METRICS_PORT = 8080;

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
/** Prefix of the admission policies (and their bindings) that keep each namespace to its own keys. */
export const SECRET_ISOLATION_POLICY_PREFIX = 'platform-secrets-';

/**
 * CEL: whether a store reference (`ref`, a CEL expression) may reach
 * `platform-secrets`: by name or, where the kind has one (PushSecret), through
 * a label selector, which could select it. ESO's default kind is SecretStore.
 */
function reachesPlatformStore(ref: string, labelSelector = false): string {
  const byName = `(has(${ref}.name) && ${ref}.name == '${PLATFORM_SECRET_STORE.name}')`;
  return `(has(${ref}.kind) && ${ref}.kind == 'ClusterSecretStore' && ${labelSelector ? `(${byName} || has(${ref}.labelSelector))` : byName})`;
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

/** CEL: `rule` holds for every item of an optional list. */
function everyItem(list: string, item: string, rule: string): string {
  return `!has(${list}) || ${list}.all(${item}, ${rule})`;
}

interface IsolationRule {
  /** Plural of the External Secrets kind the policy admits. */
  resource: string;
  variables: Array<{ name: string; expression: string }>;
  validations: Array<{ expression: string; message?: string; messageExpression?: string }>;
}

/** `'<message>'` as CEL, naming the namespace and its prefix. */
function outsidePrefix(field: string, verb: string): string {
  return `'${field}: cannot ${verb} a key outside ' + variables.ownPrefix + ' of ClusterSecretStore ${PLATFORM_SECRET_STORE.name} from namespace ' + request.namespace + '; keep the key under that prefix'`;
}

/**
 * What each kind may do outside the platform's own namespaces. Every field
 * that names a key on `platform-secrets` stays under
 * `<environment>/db/<namespace>/`: ExternalSecret data[].remoteRef.key and
 * dataFrom[].extract.key, PushSecret data[].match.remoteRef.remoteKey and
 * dataTo[].remoteKey. `dataFrom.find` and PushSecret's per-key `dataTo`
 * cannot be bounded by a prefix, so they are refused on that store. A
 * namespaced AWS SecretStore must name its own credentials: without `auth` it
 * would run with the operator's identity, which reaches every project's keys.
 */
function isolationRules(ctx: EnvironmentContext): IsolationRule[] {
  // The layout Database keys use, with the namespace filled in by the API server.
  const ownPrefix = { name: 'ownPrefix', expression: `'${namespaceSecretPrefix(environmentSecretPrefix(ctx), "' + request.namespace + '")}'` };
  return [
    {
      resource: 'externalsecrets',
      variables: [ownPrefix, { name: 'defaultStoreIsPlatform', expression: `has(object.spec.secretStoreRef) && ${reachesPlatformStore('object.spec.secretStoreRef')}` }],
      validations: [
        {
          expression: everyItem('object.spec.data', 'd', `!${entryReadsPlatformStore('d')} || ${ownKey('d.remoteRef.key')}`),
          messageExpression: outsidePrefix('spec.data[].remoteRef.key', 'read'),
        },
        {
          expression: everyItem('object.spec.dataFrom', 'f', `!${entryReadsPlatformStore('f')} || !has(f.find)`),
          message: `spec.dataFrom[].find: cannot search ClusterSecretStore ${PLATFORM_SECRET_STORE.name}: a search is not bounded by the namespace's prefix; name each key in data[].remoteRef.key or dataFrom[].extract.key`,
        },
        {
          expression: everyItem('object.spec.dataFrom', 'f', `!${entryReadsPlatformStore('f')} || !has(f.extract) || ${ownKey('f.extract.key')}`),
          messageExpression: outsidePrefix('spec.dataFrom[].extract.key', 'read'),
        },
      ],
    },
    {
      resource: 'pushsecrets',
      variables: [ownPrefix, { name: 'pushesToPlatform', expression: `has(object.spec.secretStoreRefs) && object.spec.secretStoreRefs.exists(r, ${reachesPlatformStore('r', true)})` }],
      validations: [
        {
          expression: `!variables.pushesToPlatform || ${everyItem('object.spec.data', 'd', ownKey('d.match.remoteRef.remoteKey'))}`,
          messageExpression: outsidePrefix('spec.data[].match.remoteRef.remoteKey', 'push'),
        },
        {
          expression: everyItem('object.spec.dataTo', 't', `!(has(t.storeRef) && ${reachesPlatformStore('t.storeRef', true)}) || (has(t.remoteKey) && ${ownKey('t.remoteKey')})`),
          messageExpression: `'spec.dataTo[]: cannot push to ClusterSecretStore ${PLATFORM_SECRET_STORE.name} from namespace ' + request.namespace + ' except as one remoteKey under ' + variables.ownPrefix + ' (per-key pushes are not bounded by the prefix)'`,
        },
      ],
    },
    {
      resource: 'secretstores',
      variables: [],
      validations: [
        {
          expression: '!has(object.spec.provider.aws) || has(object.spec.provider.aws.auth)',
          message: "spec.provider.aws.auth: cannot create an AWS SecretStore without auth: it would run with the External Secrets operator's own identity; name a service account (auth.jwt) or a Secret (auth.secretRef) of this namespace",
        },
      ],
    },
  ];
}

/**
 * One ValidatingAdmissionPolicy per kind (each expression is type-checked
 * against that kind's schema) and a binding that applies it, denying, in every
 * namespace but the platform's own. Only CREATE and UPDATE: deleting is always
 * allowed, and status updates are a subresource the rules do not match.
 */
function isolationObjects(ctx: EnvironmentContext): Record<string, Record<string, unknown>> {
  const platformNamespaces = [...PLATFORM_SECRET_NAMESPACES].sort();
  const objects: Record<string, Record<string, unknown>> = {};
  for (const rule of isolationRules(ctx)) {
    const name = `${SECRET_ISOLATION_POLICY_PREFIX}${rule.resource}`;
    objects[`policy-${rule.resource}`] = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['external-secrets.io'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: [rule.resource] }] },
        ...(rule.variables.length > 0 ? { variables: rule.variables } : {}),
        validations: rule.validations.map((v) => ({ ...v, reason: 'Forbidden' })),
      },
    };
    objects[`policy-binding-${rule.resource}`] = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: {
        policyName: name,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: platformNamespaces }] } },
      },
    };
  }
  return objects;
}

/**
 * Which namespaces may use `platform-secrets` at all (ESO 2.9 serves a
 * namespace that any one condition matches, by selector, name or regex):
 * project namespaces, by the label the platform puts on them, and the
 * platform's own.
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
  // Its ServiceMonitor needs the Prometheus Operator's CRDs where it renders one.
  dependsOn: ['kube-prometheus-stack'],
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
        // Reconcile and work-queue metrics for the operators dashboard (controller, webhook and cert controller, each
        // on 8080): their ServiceMonitors where the Prometheus Operator runs (fail rather than skip should the CRD be
        // missing), else Alloy scrapes the pods, annotated through global.podAnnotations, which all three take.
        ...(scrapedThrough(ctx) === 'monitor' ? { serviceMonitor: { enabled: true, renderMode: 'failIfMissing' } } : { global: { podAnnotations: scrapeAnnotations(METRICS_PORT) } }),
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
      ...isolationObjects(ctx),
    };
  },
};
