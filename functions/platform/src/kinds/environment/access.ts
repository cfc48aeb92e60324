import { FatalError } from '../../errors.js';
import { ready } from '../../resources/aws/composition.js';
import { breakGlassGroup, operatorsGroup, teamGroup, teamLevel, type AccessConfig } from '../../environment-config/access-config.js';
import { principalKey } from './cluster.js';
import type { EnvironmentContext } from './context.js';

const COMPONENT = 'access';

/** The AWS-managed EKS access policies this package associates (docs/access.md has what each grants). */
export const EKS_ACCESS_POLICY = {
  view: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy',
  edit: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy',
  clusterAdmin: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
} as const;

/** One IAM principal's access: its entry's Kubernetes groups and the policies associated with it. */
export interface PrincipalGrant {
  /** Stable key part: `team-<name>-<hash>`, `operator-<hash>`, `break-glass-<hash>` or `admin-<hash>` (hash of the principal ARN, which EKS cannot change in place). */
  key: string;
  principalArn: string;
  /** Where it was named, for messages. */
  source: string;
  groups: readonly string[];
  policies: ReadonlyArray<{ name: 'view' | 'edit' | 'cluster-admin'; policyArn: string; namespaces?: readonly string[] }>;
}

/**
 * Who gets what in this environment's EKS cluster, from data.access and
 * spec.kubernetes.adminPrincipalArns: view is AmazonEKSViewPolicy over the
 * cluster; edit adds AmazonEKSEditPolicy scoped to the team's own namespaces;
 * cluster-admin only for operators (not in production) and the break-glass
 * principal while it is switched on. adminPrincipalArns are the operators'
 * standing cluster-admin list on the XR, refused in production.
 */
export function principalGrants(access: AccessConfig, adminPrincipalArns: readonly string[]): PrincipalGrant[] {
  const grants: PrincipalGrant[] = [];
  if (access.production && adminPrincipalArns.length > 0) {
    throw new FatalError(
      'spec.kubernetes.adminPrincipalArns: cannot grant standing cluster-admin in a production environment (data.access.production); remove the list and use data.access.breakGlass when an incident needs it (docs/access.md)',
    );
  }
  for (const principalArn of [...adminPrincipalArns].sort()) {
    grants.push({ key: `admin-${principalKey(principalArn)}`, principalArn, source: 'spec.kubernetes.adminPrincipalArns', groups: [operatorsGroup(access)], policies: [{ name: 'cluster-admin', policyArn: EKS_ACCESS_POLICY.clusterAdmin }] });
  }
  access.teams.forEach((team, index) => {
    const level = teamLevel(access, team);
    if (level === 'none') return;
    if (team.principalArn === undefined) {
      throw new FatalError(`cannot use the merged EnvironmentConfig: data.access.teams[${index}].principalArn: required on AWS for team ${team.name} (level ${level}); name the role its people assume`);
    }
    const policies: PrincipalGrant['policies'][number][] = [{ name: 'view', policyArn: EKS_ACCESS_POLICY.view }];
    if (level === 'edit' && team.namespaces.length > 0) policies.push({ name: 'edit', policyArn: EKS_ACCESS_POLICY.edit, namespaces: [...team.namespaces].sort() });
    // EKS cannot change an entry's principal: a new role for the team is a new key, so the old entry is replaced.
    grants.push({ key: `team-${team.name}-${principalKey(team.principalArn)}`, principalArn: team.principalArn, source: `data.access.teams[${index}].principalArn`, groups: [teamGroup(team)], policies });
  });
  for (const principalArn of [...access.operators.principalArns].sort()) {
    const policy = access.operators.level === 'admin' ? { name: 'cluster-admin' as const, policyArn: EKS_ACCESS_POLICY.clusterAdmin } : { name: 'view' as const, policyArn: EKS_ACCESS_POLICY.view };
    grants.push({ key: `operator-${principalKey(principalArn)}`, principalArn, source: 'data.access.operators.principalArns', groups: [operatorsGroup(access)], policies: [policy] });
  }
  if (access.breakGlass.enabled && access.breakGlass.principalArn !== undefined) {
    grants.push({ key: `break-glass-${principalKey(access.breakGlass.principalArn)}`, principalArn: access.breakGlass.principalArn, source: 'data.access.breakGlass.principalArn', groups: [breakGlassGroup(access)], policies: [{ name: 'cluster-admin', policyArn: EKS_ACCESS_POLICY.clusterAdmin }] });
  }
  // EKS keeps one access entry per principal: a role named twice would make two entries fight.
  const seen = new Map<string, string>();
  for (const grant of grants) {
    const first = seen.get(grant.principalArn);
    if (first !== undefined) throw new FatalError(`${grant.source}: cannot name ${grant.principalArn} again (already in ${first}); EKS keeps one access entry per principal, so give it one place`);
    seen.set(grant.principalArn, grant.source);
  }
  return grants;
}

/**
 * EKS access entries and access-policy associations for every principal of
 * {@link principalGrants}, once the cluster is ready. Each entry carries the
 * principal's Kubernetes group, which the in-cluster RBAC of the team-access
 * add-on binds to.
 */
export function buildEksAccess(ctx: EnvironmentContext): void {
  const clusterReady = ctx.isReady('cluster');
  const clusterNameRef = { name: ctx.name('cluster') };
  const { region } = ctx;
  for (const grant of principalGrants(ctx.config.access, ctx.spec.kubernetes?.adminPrincipalArns ?? [])) {
    ctx.add(
      `access-entry-${grant.key}`,
      COMPONENT,
      'eks.aws.m.upbound.io/v1beta1:AccessEntry',
      clusterReady ? { region, clusterNameRef, principalArn: grant.principalArn, type: 'STANDARD', kubernetesGroups: [...grant.groups], tags: ctx.tags(COMPONENT) } : ctx.waiting(ready('cluster')),
    );
    for (const policy of grant.policies) {
      // adminPrincipalArns keep the keys they always had, so an upgrade does not recreate them.
      const key = grant.key.startsWith('admin-') ? `access-policy-${grant.key}` : `access-policy-${grant.key}-${policy.name}`;
      ctx.add(
        key,
        COMPONENT,
        'eks.aws.m.upbound.io/v1beta1:AccessPolicyAssociation',
        clusterReady
          ? {
              region,
              clusterNameRef,
              principalArn: grant.principalArn,
              policyArn: policy.policyArn,
              accessScope: policy.namespaces !== undefined ? { type: 'namespace', namespaces: [...policy.namespaces] } : { type: 'cluster' },
            }
          : ctx.waiting(ready('cluster')),
      );
    }
  }
}
