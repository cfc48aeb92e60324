import { appProjectName, applicationName, breakGlassGroup, operatorsGroup, teamGroup, teamLevel, type AccessConfig, type ApplicationConfig, type TeamConfig } from '../../../environment-config/access-config.js';
import { API_GROUP } from '../../../composite.js';
import { FatalError } from '../../../errors.js';
import { ready, Waiting } from '../../../resources/aws/composition.js';
import type { EnvironmentContext } from '../context.js';
import { everywhere, type AddonDefinition } from './addon.js';
import { ARGOCD_NAMESPACE } from './argo-cd.js';
import { KUBERNETES_PROVIDER_CONFIG, providerConfigRef } from './cluster-access.js';

const COMPONENT = 'team-access';

/** Name of the Role and RoleBinding in each team namespace. */
export const TEAM_ROLE = 'catalyst-forge-team';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete'];

/**
 * What EKS access policies cannot say: they grant no custom resources at all.
 * In its own namespaces a team reads (view) or also writes (edit) the
 * project kinds, and reads what they compose (routes, mesh policies, gateway
 * policies) and the ExternalSecrets that deliver its credentials.
 */
function teamRules(level: 'view' | 'edit'): Array<Record<string, string[]>> {
  return [
    { apiGroups: [API_GROUP], resources: ['networks', 'storages', 'databases'], verbs: level === 'edit' ? [...READ, ...WRITE] : READ },
    { apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: READ },
    { apiGroups: ['security.istio.io'], resources: ['authorizationpolicies'], verbs: READ },
    { apiGroups: ['gateway.envoyproxy.io'], resources: ['backendtrafficpolicies'], verbs: READ },
    { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: READ },
  ];
}

/** ClusterRole letting viewing operators read the custom resources of the platform (never Secrets). */
export const OPERATORS_VIEW_ROLE = 'catalyst-forge:platform-operators:view';
const OPERATORS_VIEW_RULES = [
  {
    apiGroups: [API_GROUP, 'apiextensions.crossplane.io', 'pkg.crossplane.io', 'kubernetes.m.crossplane.io', 'helm.m.crossplane.io', 'gateway.networking.k8s.io', 'gateway.envoyproxy.io', 'security.istio.io', 'networking.istio.io', 'external-secrets.io', 'cert-manager.io', 'argoproj.io', 'karpenter.sh', 'karpenter.k8s.aws'],
    resources: ['*'],
    verbs: READ,
  },
];

/** Kinds a team's Argo CD project may sync: the project kinds and ordinary workloads, nothing cluster-scoped (docs/argocd.md). */
const PROJECT_KINDS: ReadonlyArray<{ group: string; kind: string }> = [
  { group: API_GROUP, kind: 'Network' },
  { group: API_GROUP, kind: 'Storage' },
  { group: API_GROUP, kind: 'Database' },
  { group: 'apps', kind: 'Deployment' },
  { group: 'apps', kind: 'StatefulSet' },
  { group: '', kind: 'Service' },
  { group: '', kind: 'ServiceAccount' },
  { group: '', kind: 'ConfigMap' },
  { group: 'batch', kind: 'Job' },
  { group: 'batch', kind: 'CronJob' },
  { group: 'policy', kind: 'PodDisruptionBudget' },
];

/** Argo CD's in-cluster destination. */
const IN_CLUSTER = 'https://kubernetes.default.svc';

function appProject(team: TeamConfig): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: appProjectName(team), namespace: ARGOCD_NAMESPACE },
    spec: {
      description: `Team ${team.name}: its repositories, into its own namespaces only`,
      sourceRepos: team.repositories.map((r) => r.url).sort(),
      destinations: [...team.namespaces].sort().map((namespace) => ({ server: IN_CLUSTER, namespace })),
      clusterResourceWhitelist: [],
      namespaceResourceWhitelist: PROJECT_KINDS.map((k) => ({ ...k })),
      orphanedResources: { warn: true },
    },
  };
}

/** Revision an application syncs unless it names one: the repository's default branch, whatever it is called. */
export const DEFAULT_TARGET_REVISION = 'HEAD';

/**
 * A team's Application, composed from its config entry so that deploying
 * needs nobody's write access in Argo CD or the cluster (production
 * included): Git is the only way in. No resources finalizer: removing the
 * entry (or the Environment) leaves the deployed workloads and data in
 * place instead of cascading a delete; a team removes a deployment by
 * deleting its files (prune) first. Retries with backoff because a Storage
 * or Database can be Progressing for minutes.
 */
function application(team: TeamConfig, app: ApplicationConfig): Record<string, unknown> {
  const repository = team.repositories.find((r) => r.name === app.repository);
  // access-config.ts already refuses an unknown repository with the field's path; this keeps the invariant explicit.
  if (repository === undefined) throw new FatalError(`cannot compose application ${app.name} of team ${team.name}: repository "${app.repository}" is not one of the team's repositories; list it under repositories`);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: applicationName(team.name, app.name), namespace: ARGOCD_NAMESPACE, labels: { [`${API_GROUP}/team`]: team.name } },
    spec: {
      project: appProjectName(team),
      source: { repoURL: repository.url, path: app.path, targetRevision: app.targetRevision ?? DEFAULT_TARGET_REVISION },
      destination: { server: IN_CLUSTER, namespace: app.namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
      },
    },
  };
}

type Manifest = Record<string, unknown>;

function binding(kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, namespace: string | undefined, roleKind: 'Role' | 'ClusterRole', role: string, group: string): Manifest {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
  };
}

/**
 * On-prem there are no access entries: the same levels are Kubernetes'
 * user-facing ClusterRoles bound to the IdP's groups (view cluster-wide,
 * edit in the team's namespaces, cluster-admin for operators and break-glass).
 */
function onpremBindings(access: AccessConfig): Record<string, Manifest> {
  const objects: Record<string, Manifest> = {};
  for (const team of access.teams) {
    const level = teamLevel(access, team);
    if (level === 'none') continue;
    objects[`view-${team.name}`] = binding('ClusterRoleBinding', `catalyst-forge:team:${team.name}:view`, undefined, 'ClusterRole', 'view', teamGroup(team));
    if (level === 'edit') {
      for (const ns of team.namespaces) objects[`edit-${ns}`] = binding('RoleBinding', `${TEAM_ROLE}-edit`, ns, 'ClusterRole', 'edit', teamGroup(team));
    }
  }
  const operatorRole = access.operators.level === 'admin' ? 'cluster-admin' : 'view';
  objects['operators'] = binding('ClusterRoleBinding', `catalyst-forge:platform-operators:${operatorRole}`, undefined, 'ClusterRole', operatorRole, operatorsGroup(access));
  if (access.breakGlass.enabled) objects['break-glass'] = binding('ClusterRoleBinding', 'catalyst-forge:break-glass', undefined, 'ClusterRole', 'cluster-admin', breakGlassGroup(access));
  return objects;
}

/**
 * Team access inside the cluster: each team's namespaces (kept if the team
 * is removed: they hold its workloads), its Role and RoleBinding there for
 * the project kinds, its Argo CD AppProject and Applications, and on-prem the bindings that
 * stand in for EKS access policies. Applied once Argo CD (and so its CRDs)
 * runs.
 */
export const teamAccess: AddonDefinition = {
  name: 'team-access',
  enabled: everywhere,
  build(ctx: EnvironmentContext) {
    const access = ctx.config.access;
    const argoCdReady = ctx.isReady('release-argo-cd');
    const object = (key: string, manifest: Manifest | Waiting, retain = false) =>
      ctx.addObject(
        `object-team-access-${key}`,
        COMPONENT,
        !(manifest instanceof Waiting)
          ? {
              apiVersion: 'kubernetes.m.crossplane.io/v1alpha1',
              kind: 'Object',
              spec: {
                // A namespace holds a team's workloads and volumes: deleting it from the config must not delete them.
                ...(retain ? { managementPolicies: ['Observe', 'Create', 'Update', 'LateInitialize'] } : {}),
                forProvider: { manifest },
                providerConfigRef: providerConfigRef(ctx, KUBERNETES_PROVIDER_CONFIG),
              },
            }
          : manifest,
      );
    const argoCdRunning = ctx.waiting(ready('release-argo-cd'));
    const namespaceReady = (ns: string) => ctx.waiting(ready('release-argo-cd'), ready(`object-team-access-namespace-${ns}`));
    for (const team of access.teams) {
      const level = teamLevel(access, team);
      for (const ns of team.namespaces) {
        object(
          `namespace-${ns}`,
          argoCdReady
            ? {
                apiVersion: 'v1',
                kind: 'Namespace',
                metadata: { name: ns, labels: { 'istio.io/dataplane-mode': 'ambient', [`${API_GROUP}/project`]: 'true', [`${API_GROUP}/team`]: team.name } },
              }
            : argoCdRunning,
          true,
        );
        if (level === 'none') continue;
        const nsReady = argoCdReady && ctx.isReady(`object-team-access-namespace-${ns}`);
        object(`role-${ns}`, nsReady ? { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: TEAM_ROLE, namespace: ns }, rules: teamRules(level) } : namespaceReady(ns));
        object(`binding-${ns}`, nsReady ? binding('RoleBinding', TEAM_ROLE, ns, 'Role', TEAM_ROLE, teamGroup(team)) : namespaceReady(ns));
      }
      if (team.namespaces.length > 0) object(`appproject-${team.name}`, argoCdReady ? appProject(team) : argoCdRunning);
      // Argo CD refuses an Application whose project does not exist yet, and automated sync does not create its namespace.
      for (const app of team.applications) {
        const needs = [ready('release-argo-cd'), ready(`object-team-access-appproject-${team.name}`), ready(`object-team-access-namespace-${app.namespace}`)];
        const admitted = ctx.met(...needs);
        object(`application-${applicationName(team.name, app.name)}`, admitted ? application(team, app) : ctx.waiting(...needs));
      }
    }
    // Operators who only view (production) still need to read the platform's own kinds, which no access policy covers.
    if (access.operators.level === 'view') {
      object('operators-view-role', argoCdReady ? { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: OPERATORS_VIEW_ROLE }, rules: OPERATORS_VIEW_RULES } : argoCdRunning);
      object('operators-view-binding', argoCdReady ? binding('ClusterRoleBinding', OPERATORS_VIEW_ROLE, undefined, 'ClusterRole', OPERATORS_VIEW_ROLE, operatorsGroup(access)) : argoCdRunning);
    }
    if (ctx.provider === 'onprem') {
      for (const [key, manifest] of Object.entries(onpremBindings(access))) {
        const ns = (manifest.metadata as { namespace?: string }).namespace;
        object(`onprem-${key}`, argoCdReady && (ns === undefined || ctx.isReady(`object-team-access-namespace-${ns}`)) ? manifest : ns === undefined ? argoCdRunning : namespaceReady(ns));
      }
    }
  },
};
