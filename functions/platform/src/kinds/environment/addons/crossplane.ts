import { PLATFORM_ENVIRONMENT_CONFIG, type PlatformEnvironment } from '../../../environment-config/platform-environment.js';
import { ENVIRONMENT_CLUSTER_PACKAGE } from '../../../release.js';
import type { EnvironmentContext } from '../context.js';
import { everywhere, CRITICAL_ADDONS_TOLERATION, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { environmentSecretPrefix } from './external-secrets.js';
import { GATEWAY_NAMESPACE, MESH_TRUST_DOMAIN } from './istio.js';

/**
 * The package the environment cluster installs: the environment-cluster
 * Configuration (Network, Storage, Database) of the release this function is,
 * the same release the platform cluster runs.
 */
export const PLATFORM_PACKAGE = ENVIRONMENT_CLUSTER_PACKAGE;

/** The Configuration object's name in the environment cluster. */
export const PLATFORM_CONFIGURATION = 'catalyst-forge-platform-environment-cluster';

/**
 * Providers the project kinds compose in the environment cluster, pinned to
 * the releases whose CRDs are in schemas/ (scripts/lib/dependencies.ts). The
 * Configuration pulls provider-sql through its dependsOn too; naming it here,
 * under the name the dependency resolver gives it, pins the version the
 * cluster starts with. No other provider: nothing composed here calls AWS,
 * Helm or provider-kubernetes.
 */
export const ENVIRONMENT_PROVIDERS: Readonly<Record<string, string>> = {
  'provider-sql': 'xpkg.crossplane.io/crossplane-contrib/provider-sql:v0.16.0',
};

/**
 * What Crossplane must be allowed to do to the kinds the project kinds compose
 * that no provider brings (Kubernetes kinds and add-on CRDs): its RBAC manager
 * grants provider kinds only, and its own ClusterRole none of these. The
 * ClusterRole carrying them is aggregated into Crossplane's role by the label
 * the Crossplane chart selects on. test/addons-core.test.ts checks these rules
 * are exactly what the project-kind examples render (scripts/lib/dependencies.ts
 * crossplaneRbacRules).
 */
export const CROSSPLANE_AGGREGATE_LABEL = 'rbac.crossplane.io/aggregate-to-crossplane';
const COMPOSED_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
export const PROJECT_KIND_RBAC_RULES: ReadonlyArray<{ apiGroups: string[]; resources: string[]; verbs: string[] }> = [
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: COMPOSED_VERBS },
  { apiGroups: ['external-secrets.io'], resources: ['externalsecrets', 'pushsecrets'], verbs: COMPOSED_VERBS },
  { apiGroups: ['gateway.envoyproxy.io'], resources: ['backendtrafficpolicies'], verbs: COMPOSED_VERBS },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: COMPOSED_VERBS },
  { apiGroups: ['generators.external-secrets.io'], resources: ['passwords'], verbs: COMPOSED_VERBS },
  { apiGroups: ['security.istio.io'], resources: ['authorizationpolicies'], verbs: COMPOSED_VERBS },
];

/** provider-sql ClusterProviderConfig of the shared RDS instance that Database XRs use. */
export const DATABASE_PROVIDER_CONFIG = 'platform-database';

/** ClusterSecretStore of External Secrets limited to `<environment>/*` and `global/*`. */
export const PLATFORM_SECRET_STORE = 'platform-secrets';

/**
 * The gateways project routes attach to: Envoy Gateway's public and internal
 * Gateways, their HTTPS listener, and the service accounts of their proxies.
 */
export function gatewayRefs(): NonNullable<PlatformEnvironment['gateways']> {
  const gateway = (name: string) => ({
    name,
    namespace: GATEWAY_NAMESPACE,
    sectionName: 'https',
    serviceAccount: { namespace: GATEWAY_NAMESPACE, name: `envoy-${name}` },
  });
  return { public: gateway('public'), internal: gateway('internal') };
}

/**
 * Where Database XRs compose. AWS: the environment's RDS instance, whose
 * address is known once RDS reports it; until then Database XRs wait (a
 * Fatal naming data.database). On-prem: the PostgreSQL the config names, or
 * none, and then the cluster serves no Database XRs.
 */
function databaseSection(ctx: EnvironmentContext): PlatformEnvironment['database'] {
  if (ctx.provider !== 'aws') {
    const database = ctx.onprem.config.database;
    return database === undefined ? undefined : { host: database.host, port: database.port, providerConfigName: DATABASE_PROVIDER_CONFIG, sslMode: database.sslMode };
  }
  const host = ctx.observedString('database', 'address');
  return host !== undefined ? { host, port: 5432, providerConfigName: DATABASE_PROVIDER_CONFIG, sslMode: 'require' } : undefined;
}

/** Data of `platform-environment`: what Network, Storage and Database read in this cluster. */
export function platformEnvironmentData(ctx: EnvironmentContext): PlatformEnvironment {
  const database = databaseSection(ctx);
  return {
    environment: ctx.environment,
    zone: ctx.zoneName,
    gateways: gatewayRefs(),
    mesh: { trustDomain: MESH_TRUST_DOMAIN },
    storageClasses: ctx.config.storageClasses,
    ...(database !== undefined ? { database } : {}),
    // The same prefix the admission policies of external-secrets.ts bound project keys under.
    secrets: { prefix: environmentSecretPrefix(ctx), store: { kind: 'ClusterSecretStore', name: PLATFORM_SECRET_STORE } },
  };
}

/**
 * Crossplane in the environment cluster, then the environment-cluster
 * Configuration, the provider the project kinds need, the ClusterRole that
 * lets Crossplane compose their Kubernetes and add-on kinds, and the
 * `platform-environment` EnvironmentConfig they read. Crossplane calls no AWS
 * API here (the project kinds compose Kubernetes and SQL objects only), so it
 * has no identity.
 */
export const crossplane: AddonDefinition = {
  name: 'crossplane',
  chart: { repository: 'https://charts.crossplane.io/stable', chart: 'crossplane', version: '2.3.4' },
  enabled: everywhere,
  release(ctx) {
    const replicas = replicasOf(ctx, 'crossplane');
    return {
      chart: 'crossplane',
      namespace: 'crossplane-system',
      values: {
        replicas,
        // Leader election keeps a second replica passive until the first goes away.
        leaderElection: true,
        // The Configuration pins its function exactly; with this (alpha) flag Crossplane moves the
        // installed Function to the pinned patch release itself when the Configuration is upgraded.
        // Without it nobody would in an environment cluster (docs/upgrades.md).
        args: ['--enable-dependency-version-upgrades'],
        nodeSelector: SYSTEM_NODE_SELECTOR,
        tolerations: [CRITICAL_ADDONS_TOLERATION],
        resourcesCrossplane: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
        resourcesRBACManager: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      },
    };
  },
  objects(ctx) {
    const objects: Record<string, Record<string, unknown>> = {
      configuration: {
        apiVersion: 'pkg.crossplane.io/v1',
        kind: 'Configuration',
        metadata: { name: PLATFORM_CONFIGURATION },
        spec: { package: PLATFORM_PACKAGE, revisionActivationPolicy: 'Automatic', revisionHistoryLimit: 3, skipDependencyResolution: false },
      },
    };
    for (const [name, pkg] of Object.entries(ENVIRONMENT_PROVIDERS)) {
      objects[name] = { apiVersion: 'pkg.crossplane.io/v1', kind: 'Provider', metadata: { name: `crossplane-contrib-${name}` }, spec: { package: pkg } };
    }
    objects['rbac'] = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'crossplane-compose-catalyst-forge', labels: { [CROSSPLANE_AGGREGATE_LABEL]: 'true' } },
      rules: PROJECT_KIND_RBAC_RULES.map((rule) => ({ apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })),
    };
    objects['environment-config'] = {
      apiVersion: 'apiextensions.crossplane.io/v1beta1',
      kind: 'EnvironmentConfig',
      metadata: { name: PLATFORM_ENVIRONMENT_CONFIG },
      data: platformEnvironmentData(ctx),
    };
    return objects;
  },
};
