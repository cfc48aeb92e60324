/**
 * Evaluates who may do what in an environment cluster from what an
 * Environment composed, the way the API server and Argo CD decide it:
 *
 * - EKS: an IAM principal without an access entry is not authenticated. With
 *   one it is the entry's Kubernetes groups; each associated access policy
 *   allows its rules (policies.ts) in its scope.
 * - Kubernetes RBAC: the composed Roles, ClusterRoles, RoleBindings and
 *   ClusterRoleBindings (inside provider-kubernetes Objects), plus the
 *   user-facing ClusterRoles. A ClusterRoleBinding grants its role's rules
 *   everywhere; a RoleBinding only inside its own namespace. Rules match by
 *   apiGroup, resource (with subresource), verb and resourceNames, `*` being
 *   any. Authorization is the union of EKS and RBAC: either allowing is enough.
 * - Argo CD: argocd-rbac-cm's policy.csv (glob match, deny wins, no default
 *   role when policy.default is empty) and the AppProjects' sourceRepos and
 *   destinations.
 */
import type { Resources } from '../helpers/settle.js';
import { ARGOCD_BUILT_IN_POLICY, BUILT_IN_CLUSTER_ROLES, EKS_ACCESS_POLICIES, type Rule } from './policies.js';

type JsonObject = Record<string, unknown>;

/** Who asks: an IAM role (through its access entry), or on-prem the groups the cluster's IdP gives a person. */
export type Identity = { principalArn: string } | { groups: readonly string[] };

/** A request to the API server. `namespace` undefined: a cluster-scoped resource. */
export interface Request {
  verb: string;
  apiGroup: string;
  resource: string;
  namespace?: string;
  name?: string;
}

interface Association {
  principalArn: string;
  policyArn: string;
  scope: { type: string; namespaces?: string[] };
}

interface Binding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  namespace?: string;
  roleRef: { kind: string; name: string };
  subjects: Array<{ kind: string; name: string; namespace?: string }>;
}

interface AppProject {
  name: string;
  sourceRepos: string[];
  destinations: Array<{ server?: string; namespace?: string }>;
  clusterResourceWhitelist: Array<{ group: string; kind: string }>;
}

/** Everything access-related an Environment composed. */
export interface ComposedAccess {
  entries: Array<{ principalArn: string; groups: string[]; userName?: string }>;
  associations: Association[];
  roles: Array<{ kind: 'Role' | 'ClusterRole'; name: string; namespace?: string; rules: Rule[] }>;
  bindings: Binding[];
  appProjects: AppProject[];
  argocdPolicy: string[];
}

function forProvider(resource: JsonObject): JsonObject {
  return ((resource.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;
}

/** Reads the access-related resources out of a settled composition. */
export function composedAccess(resources: Resources): ComposedAccess {
  const access: ComposedAccess = { entries: [], associations: [], roles: [], bindings: [], appProjects: [], argocdPolicy: [] };
  for (const resource of Object.values(resources)) {
    const kind = resource.kind as string;
    const apiVersion = resource.apiVersion as string;
    if (apiVersion.startsWith('eks.aws.m.upbound.io/') && kind === 'AccessEntry') {
      const p = forProvider(resource);
      access.entries.push({ principalArn: p.principalArn as string, groups: (p.kubernetesGroups as string[] | undefined) ?? [], ...(typeof p.userName === 'string' ? { userName: p.userName } : {}) });
    } else if (apiVersion.startsWith('eks.aws.m.upbound.io/') && kind === 'AccessPolicyAssociation') {
      const p = forProvider(resource);
      access.associations.push({ principalArn: p.principalArn as string, policyArn: p.policyArn as string, scope: p.accessScope as Association['scope'] });
    } else if (kind === 'Object') {
      const manifest = forProvider(resource).manifest as JsonObject;
      const metadata = (manifest.metadata ?? {}) as { name: string; namespace?: string };
      switch (manifest.kind) {
        case 'Role':
        case 'ClusterRole':
          access.roles.push({ kind: manifest.kind, name: metadata.name, ...(metadata.namespace !== undefined ? { namespace: metadata.namespace } : {}), rules: (manifest.rules as Rule[] | undefined) ?? [] });
          break;
        case 'RoleBinding':
        case 'ClusterRoleBinding':
          access.bindings.push({ kind: manifest.kind, ...(metadata.namespace !== undefined ? { namespace: metadata.namespace } : {}), roleRef: manifest.roleRef as Binding['roleRef'], subjects: (manifest.subjects as Binding['subjects'] | undefined) ?? [] });
          break;
        case 'AppProject': {
          const spec = manifest.spec as JsonObject;
          access.appProjects.push({
            name: metadata.name,
            sourceRepos: (spec.sourceRepos as string[] | undefined) ?? [],
            destinations: (spec.destinations as AppProject['destinations'] | undefined) ?? [],
            clusterResourceWhitelist: (spec.clusterResourceWhitelist as AppProject['clusterResourceWhitelist'] | undefined) ?? [],
          });
          break;
        }
        default:
      }
    } else if (kind === 'Release') {
      const p = forProvider(resource);
      if ((p.namespace as string) === 'argocd') {
        const rbac = (((p.values as JsonObject | undefined)?.configs as JsonObject | undefined)?.rbac ?? {}) as Record<string, string>;
        access.argocdPolicy = (rbac['policy.csv'] ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
        if ((rbac['policy.default'] ?? '') !== '') access.argocdPolicy.push(`g, *, ${rbac['policy.default']}`);
      }
    }
  }
  return access;
}

function ruleMatches(rule: Rule, request: Request): boolean {
  const any = (list: readonly string[], value: string) => list.includes('*') || list.includes(value);
  if (!any(rule.apiGroups, request.apiGroup) || !any(rule.verbs, request.verb) || !any(rule.resources, request.resource)) return false;
  if (rule.resourceNames !== undefined && rule.resourceNames.length > 0) return request.name !== undefined && rule.resourceNames.includes(request.name);
  return true;
}

function namespaceInScope(pattern: string, namespace: string): boolean {
  return pattern.endsWith('*') ? namespace.startsWith(pattern.slice(0, -1)) : pattern === namespace;
}

/** Whether an EKS association's scope covers the request; a namespace scope covers its namespaces and those Namespace objects themselves. */
function inScope(scope: Association['scope'], request: Request): boolean {
  if (scope.type === 'cluster') return true;
  const namespaces = scope.namespaces ?? [];
  if (request.namespace !== undefined) return namespaces.some((p) => namespaceInScope(p, request.namespace as string));
  return request.apiGroup === '' && request.resource === 'namespaces' && request.name !== undefined && namespaces.some((p) => namespaceInScope(p, request.name as string));
}

/** The Kubernetes user and groups an identity authenticates as, or undefined when EKS does not know the principal. */
export function authenticate(access: ComposedAccess, identity: Identity): { user: string; groups: readonly string[]; principalArn?: string } | undefined {
  if ('groups' in identity) return { user: 'oidc-user', groups: identity.groups };
  const entry = access.entries.find((e) => e.principalArn === identity.principalArn);
  if (entry === undefined) return undefined;
  // EKS's default user name for a role is the assumed-role session ARN.
  const [, , , , account = '', resource = ''] = identity.principalArn.split(':');
  const user = entry.userName ?? `arn:aws:sts::${account}:assumed-role/${resource.split('/').pop() ?? ''}/{{SessionName}}`;
  return { user, groups: entry.groups, principalArn: identity.principalArn };
}

function rulesOf(access: ComposedAccess, roleRef: Binding['roleRef'], namespace: string | undefined): readonly Rule[] {
  if (roleRef.kind === 'ClusterRole') {
    return access.roles.find((r) => r.kind === 'ClusterRole' && r.name === roleRef.name)?.rules ?? BUILT_IN_CLUSTER_ROLES[roleRef.name] ?? [];
  }
  return access.roles.find((r) => r.kind === 'Role' && r.name === roleRef.name && r.namespace === namespace)?.rules ?? [];
}

/** What grants a request, for messages; empty when it is denied. */
export function grantsFor(access: ComposedAccess, identity: Identity, request: Request): string[] {
  const who = authenticate(access, identity);
  if (who === undefined) return [];
  const grants: string[] = [];
  if (who.principalArn !== undefined) {
    for (const a of access.associations.filter((x) => x.principalArn === who.principalArn)) {
      if (inScope(a.scope, request) && (EKS_ACCESS_POLICIES[a.policyArn] ?? []).some((r) => ruleMatches(r, request))) grants.push(`${a.policyArn.split('/').pop()} (${a.scope.type}${a.scope.namespaces ? `: ${a.scope.namespaces.join(',')}` : ''})`);
    }
  }
  for (const b of access.bindings) {
    const subject = b.subjects.some((s) => (s.kind === 'Group' && who.groups.includes(s.name)) || (s.kind === 'User' && s.name === who.user));
    if (!subject) continue;
    if (b.kind === 'RoleBinding' && b.namespace !== request.namespace) continue;
    if (rulesOf(access, b.roleRef, b.namespace).some((r) => ruleMatches(r, request))) grants.push(`${b.kind} ${b.namespace ?? ''}/${b.roleRef.kind}:${b.roleRef.name}`);
  }
  return grants;
}

export function allowed(access: ComposedAccess, identity: Identity, request: Request): boolean {
  return grantsFor(access, identity, request).length > 0;
}

/** Argo CD's glob: `*` matches any run of characters, including `/`. */
function glob(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/** Whether an SSO user in these groups may do `action` on `resource` `object` in Argo CD. */
export function argocdAllowed(access: ComposedAccess, groups: readonly string[], resource: string, action: string, object: string): boolean {
  const lines = [...access.argocdPolicy, ...ARGOCD_BUILT_IN_POLICY].map((l) => l.split(',').map((f) => f.trim()));
  // Subjects reachable from the groups through g lines (groups to roles, roles to roles).
  const subjects = new Set(groups);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [type, from, to] of lines) {
      if (type === 'g' && from !== undefined && to !== undefined && (subjects.has(from) || from === '*') && !subjects.has(to)) {
        subjects.add(to);
        changed = true;
      }
    }
  }
  let allow = false;
  for (const [type, subject, res, act, obj, effect = 'allow'] of lines) {
    if (type !== 'p' || subject === undefined || !subjects.has(subject)) continue;
    if (!glob(res ?? '', resource) || !glob(act ?? '', action) || !glob(obj ?? '', object)) continue;
    if (effect === 'deny') return false;
    allow = true;
  }
  return allow;
}

/** Whether an Application in `project` may sync `repo` into `namespace` (Argo CD checks both against the AppProject). */
export function appProjectPermits(access: ComposedAccess, project: string, repo: string, namespace: string): boolean {
  const p = access.appProjects.find((x) => x.name === project);
  if (p === undefined) return false;
  return p.sourceRepos.some((r) => glob(r, repo)) && p.destinations.some((d) => glob(d.namespace ?? '', namespace));
}
