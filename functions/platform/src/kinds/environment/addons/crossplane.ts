import { PLATFORM_ENVIRONMENT_CONFIG, type PlatformEnvironment } from '../../../environment-config/platform-environment.js';
import type { EnvironmentContext } from '../context.js';
import { everywhere, CRITICAL_ADDONS_TOLERATION, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { GATEWAY_NAMESPACE, MESH_TRUST_DOMAIN } from './istio.js';

/**
 * This package as the environment cluster installs it: the same release the
 * platform cluster runs (argocd/platform/package/configuration.yaml). Bump
 * both together.
 */
export const PLATFORM_PACKAGE = 'ghcr.io/input-output-hk/catalyst-forge/platform:v0.1.0';

/**
 * Providers the project kinds compose in the environment cluster, pinned to
 * the releases whose CRDs are in schemas/ (scripts/lib/dependencies.ts). The
 * Configuration also pulls provider-sql through its dependsOn; naming it here
 * pins the version the cluster starts with.
 */
export const ENVIRONMENT_PROVIDERS: Readonly<Record<string, string>> = {
  'provider-sql': 'xpkg.crossplane.io/crossplane-contrib/provider-sql:v0.16.0',
  'provider-helm': 'xpkg.crossplane.io/crossplane-contrib/provider-helm:v1.4.0',
  'provider-kubernetes': 'xpkg.crossplane.io/crossplane-contrib/provider-kubernetes:v1.2.1',
};

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
    secrets: { prefix: `${ctx.environment}/`, store: { kind: 'ClusterSecretStore', name: PLATFORM_SECRET_STORE } },
  };
}

/**
 * Crossplane in the environment cluster, then this package's Configuration,
 * the providers the project kinds need, and the `platform-environment`
 * EnvironmentConfig they read. Crossplane calls no AWS API here (the project
 * kinds compose Kubernetes and SQL objects only), so it has no identity.
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
        metadata: { name: 'catalyst-forge-platform' },
        spec: { package: PLATFORM_PACKAGE, revisionActivationPolicy: 'Automatic', revisionHistoryLimit: 3, skipDependencyResolution: false },
      },
    };
    for (const [name, pkg] of Object.entries(ENVIRONMENT_PROVIDERS)) {
      objects[name] = { apiVersion: 'pkg.crossplane.io/v1', kind: 'Provider', metadata: { name: `crossplane-contrib-${name}` }, spec: { package: pkg } };
    }
    objects['environment-config'] = {
      apiVersion: 'apiextensions.crossplane.io/v1beta1',
      kind: 'EnvironmentConfig',
      metadata: { name: PLATFORM_ENVIRONMENT_CONFIG },
      data: platformEnvironmentData(ctx),
    };
    return objects;
  },
};
