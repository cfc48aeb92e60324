import { parse, stringify } from 'yaml';
import { everywhere, CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';
import { ARGOCD_CM_DATA } from './argocd-cm.generated.js';
import { appProjectName, breakGlassGroup, operatorsGroup, teamGroup, teamLevel, type AccessConfig } from '../../../environment-config/access-config.js';

/** Namespace of the environment cluster's Argo CD; the project Applications live here (docs/argocd.md). */
export const ARGOCD_NAMESPACE = 'argocd';

/**
 * Exclusions the chart sets by default: `resource.exclusions` from
 * argocd/argocd-cm.yaml replaces the chart's whole list, so the high-churn
 * kinds it excluded are kept here next to ours.
 */
const CHART_DEFAULT_EXCLUSIONS = [
  { apiGroups: ['', 'discovery.k8s.io'], kinds: ['Endpoints', 'EndpointSlice'] },
  { apiGroups: ['coordination.k8s.io'], kinds: ['Lease'] },
  { apiGroups: ['authentication.k8s.io', 'authorization.k8s.io'], kinds: ['SelfSubjectReview', 'TokenReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview'] },
  { apiGroups: ['certificates.k8s.io'], kinds: ['CertificateSigningRequest'] },
  { apiGroups: ['cert-manager.io'], kinds: ['CertificateRequest'] },
];

let argocdCmData: Readonly<Record<string, string>> | undefined;

/**
 * argocd-cm of the environment cluster: argocd/argocd-cm.yaml, with the chart's default exclusions kept.
 * Built once per process (YAML round trip), not per render: it depends on nothing in the request.
 */
export function argocdCm(): Readonly<Record<string, string>> {
  if (argocdCmData === undefined) {
    const ours = parse(ARGOCD_CM_DATA['resource.exclusions'] ?? '[]') as unknown[];
    argocdCmData = Object.freeze({ ...ARGOCD_CM_DATA, 'resource.exclusions': stringify([...CHART_DEFAULT_EXCLUSIONS, ...ours]) });
  }
  return argocdCmData;
}

/**
 * Argo CD of the environment cluster, which syncs the project repositories
 * (Network, Storage, Database and workloads). Health checks for this
 * package's kinds and annotation tracking come from argocd/argocd-cm.yaml
 * (one source, tested by running the Lua). Prod runs it highly available:
 * Redis HA, two API servers, repo servers and ApplicationSet controllers,
 * each with a PodDisruptionBudget. No AWS identity: it only talks to Git and
 * the cluster.
 */
export const argoCd: AddonDefinition = {
  name: 'argo-cd',
  chart: { repository: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', version: '10.1.1' },
  enabled: everywhere,
  release(ctx) {
    const replicas = replicasOf(ctx, 'argo-cd');
    const ha = highlyAvailable(ctx, 'argo-cd');
    const pdb = ha ? { pdb: { enabled: true, minAvailable: 1 } } : {};
    const resources = (cpu: string, memory: string, limit: string) => ({ requests: { cpu, memory }, limits: { memory: limit } });
    return {
      chart: 'argo-cd',
      namespace: ARGOCD_NAMESPACE,
      values: {
        global: { nodeSelector: SYSTEM_NODE_SELECTOR, tolerations: [CRITICAL_ADDONS_TOLERATION] },
        // Who may see and sync what: team-access.ts, from data.access.
        configs: { cm: argocdCm(), rbac: argocdRbac(ctx.config.access) },
        // One application controller: more replicas only shard clusters, and this Argo CD manages one.
        controller: { replicas: 1, resources: resources('250m', '512Mi', '2Gi'), ...pdb },
        server: { replicas, resources: resources('100m', '128Mi', '512Mi'), ...pdb },
        repoServer: { replicas, resources: resources('100m', '256Mi', '1Gi'), ...pdb },
        applicationSet: { replicas, resources: resources('50m', '64Mi', '256Mi'), ...pdb },
        // Redis HA needs three nodes for its anti-affinity; prod's system group has three.
        redis: { enabled: !ha },
        'redis-ha': ha ? { enabled: true, nodeSelector: SYSTEM_NODE_SELECTOR, tolerations: [CRITICAL_ADDONS_TOLERATION] } : { enabled: false },
      },
    };
  },
};

/**
 * Argo CD RBAC (argocd-rbac-cm): no default role; every team reads every
 * application (and, outside production, their logs); a team syncs only the
 * applications of its own project, and not in production, where automated
 * sync from Git is the only way in. Operators: admin outside production,
 * read plus sync in it; break-glass admin while switched on. Subjects are SSO
 * groups, the same names as the Kubernetes groups.
 */
export function argocdRbac(access: AccessConfig): Record<string, string> {
  const lines = ['p, role:catalyst-forge-reader, applications, get, */*, allow', 'p, role:catalyst-forge-reader, projects, get, *, allow'];
  if (!access.production) lines.push('p, role:catalyst-forge-reader, logs, get, */*, allow');
  for (const team of [...access.teams].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`g, ${teamGroup(team)}, role:catalyst-forge-reader`);
    if (!access.production && teamLevel(access, team) !== 'none') {
      lines.push(`p, role:team-${team.name}, applications, sync, ${appProjectName(team)}/*, allow`);
      lines.push(`g, ${teamGroup(team)}, role:team-${team.name}`);
    }
  }
  if (access.production || access.operators.level === 'view') {
    lines.push(`g, ${operatorsGroup(access)}, role:readonly`);
    if (access.production) {
      lines.push('p, role:catalyst-forge-operator, applications, sync, */*, allow');
      lines.push(`g, ${operatorsGroup(access)}, role:catalyst-forge-operator`);
    }
  } else {
    lines.push(`g, ${operatorsGroup(access)}, role:admin`);
  }
  if (access.breakGlass.enabled) lines.push(`g, ${breakGlassGroup(access)}, role:admin`);
  return { 'policy.default': '', 'policy.csv': `${lines.join('\n')}\n`, scopes: '[groups]' };
}
