import { z } from 'zod';
import { dnsLabel } from '../schema/fields.js';

/**
 * Namespaces the platform itself runs in: no team may own one, so no team
 * grant can ever reach them. Every add-on's release namespace is listed here
 * (test/access checks it against the rendered examples).
 */
export const PLATFORM_NAMESPACES = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'alloy',
  'argo',
  'argocd',
  'argocd-central',
  'cert-manager',
  'crossplane-system',
  'envoy-gateway-system',
  'external-dns',
  'external-secrets',
  'falco',
  'goldilocks',
  'istio-system',
  'karpenter',
  'keda',
  'kyverno',
  'longhorn-system',
  'monitoring',
  'nats',
  'openebs',
  'reloader',
  'trivy-system',
  'velero',
] as const;

/** Whether a namespace belongs to the platform (listed, or Kubernetes' own `kube-*`). */
export function isPlatformNamespace(namespace: string): boolean {
  return (PLATFORM_NAMESPACES as readonly string[]).includes(namespace) || namespace.startsWith('kube-');
}

/**
 * An IAM role ARN, as IAM Identity Center (permission-set roles) or another
 * IdP federated into IAM issues it. Users are refused: people sign in through
 * roles, and a role per team is what access entries key on.
 */
const roleArn = () =>
  z
    .string()
    .max(2048)
    .regex(/^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_/-]+$/, { message: 'must be an IAM role ARN such as arn:aws:iam::111111111111:role/forge-developers' });

/** A Kubernetes group name as an access entry or an OIDC token carries it; `system:` names are Kubernetes' own. */
const kubernetesGroup = () =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9:._@-]*$/, { message: 'must be a group name such as catalyst-forge:team:forge' })
    .refine((g) => !['system:', 'eks:', 'aws:', 'amazon:', 'iam:'].some((p) => g.startsWith(p)), { message: 'must not start with system:, eks:, aws:, amazon: or iam: (reserved by Kubernetes and EKS)' });

/** What a developer principal gets: nothing, cluster-wide read, or read plus edit in its team's namespaces. */
export const DEVELOPER_LEVELS = ['none', 'view', 'edit'] as const;
export type DeveloperLevel = (typeof DEVELOPER_LEVELS)[number];

/** Longest Application name: Argo CD writes it into label values (63 characters at most) with some tracking methods. */
export const APPLICATION_NAME_MAX = 63;

/** A path inside a repository as Argo CD takes it: relative, no `..` (Argo CD refuses paths outside the repository). */
const repositoryPath = () =>
  z
    .string()
    .min(1)
    .max(512)
    .regex(/^(\.|[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)$/, { message: 'must be a relative path inside the repository such as deploy/dev (no leading or trailing /)' })
    .refine((p) => !p.split('/').includes('..'), { message: 'must not contain .. (Argo CD syncs only paths inside the repository)' });

/**
 * One deployment of a team: the Environment composes an Argo CD Application
 * syncing `path` of one of the team's repositories into one of its
 * namespaces, so no person needs rights to create Applications.
 */
const application = z
  .object({
    name: dnsLabel(40).describe('Application name within the team; the Argo CD Application is <team>-<name> (at most 63 characters).'),
    repository: dnsLabel(40).describe('Name of one of the team\'s repositories (data.access.teams[].repositories[].name).'),
    path: repositoryPath().describe('Directory in the repository with the manifests for this environment, e.g. deploy/dev.'),
    namespace: dnsLabel().describe('One of the team\'s namespaces: the Application\'s destination.'),
    targetRevision: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, { message: 'must be a branch, tag or commit such as main, v1.2.0 or HEAD' })
      .optional()
      .describe('Branch, tag or commit to sync; default HEAD (the repository\'s default branch).'),
  })
  .strict();

/** Argo CD Application name of a team's application. */
export function applicationName(teamName: string, application: string): string {
  return `${teamName}-${application}`;
}

const team = z
  .object({
    name: dnsLabel(40).describe('Team name; keys its access entry, its Kubernetes group and its Argo CD project (team-<name>).'),
    principalArn: roleArn().optional().describe('IAM role the team\'s people assume (one per team and account); required on AWS for a team with a level other than none.'),
    group: kubernetesGroup()
      .optional()
      .describe('Kubernetes (and Argo CD SSO) group of the team; default catalyst-forge:team:<name>. On-prem the IdP must put the team\'s people in it.'),
    level: z.enum(DEVELOPER_LEVELS).optional().describe('This team\'s level; default data.access.developers.level.'),
    repositories: z
      .array(
        z
          .object({
            name: dnsLabel(40).describe('Repository name: the first part of its project namespaces, <repository>-<project>.'),
            url: z.string().url().max(512).describe('Git URL Argo CD may sync the team\'s applications from.'),
          })
          .strict(),
      )
      .min(1)
      .describe('The team\'s repositories: its Argo CD project may sync only these.'),
    namespaces: z
      .array(dnsLabel())
      .max(64)
      .default([])
      .describe('Project namespaces the team owns, each <repository>-<project> of one of its repositories: where it may edit and deploy.'),
    applications: z
      .array(application)
      .max(50)
      .default([])
      .describe('Argo CD Applications the Environment creates for the team (<team>-<name>, project team-<name>, automated sync): how its projects are deployed, in production too, without anyone holding write access.'),
  })
  .strict();

/**
 * `data.access`: who may reach the environment cluster and how. Developers
 * come in teams (one IAM role each), platform operators in one list; prod-like
 * environments (production: true) grant no standing cluster-admin and no
 * developer edit, and keep a break-glass principal that is off until needed.
 */
export const accessConfigSchema = z
  .object({
    production: z
      .boolean()
      .describe('Production rules: no developer edit, no standing cluster-admin (operators at most view; admin only through breakGlass), spec.kubernetes.adminPrincipalArns refused.'),
    developers: z
      .object({ level: z.enum(DEVELOPER_LEVELS).describe('Default level of every team: none, view (cluster-wide read, no Secrets) or edit (view plus edit in the team\'s own namespaces).') })
      .strict(),
    teams: z.array(team).max(50).default([]).describe('Project teams: their role, group, repositories, namespaces and applications.'),
    operators: z
      .object({
        principalArns: z.array(roleArn()).max(20).default([]).describe('IAM roles of the platform operators.'),
        group: kubernetesGroup().optional().describe('Their Kubernetes (and Argo CD SSO) group; default catalyst-forge:platform-operators.'),
        level: z.enum(['view', 'admin']).describe('view: cluster-wide read; admin: cluster-admin (refused with production: true).'),
      })
      .strict(),
    breakGlass: z
      .object({
        enabled: z.boolean().describe('Compose the break-glass principal\'s cluster-admin access entry; off by default, on only for an incident.'),
        principalArn: roleArn().optional().describe('IAM role for emergencies; its use is audited through CloudTrail (AssumeRole) and the EKS audit log.'),
        group: kubernetesGroup().optional().describe('Its Kubernetes (and Argo CD SSO) group; default catalyst-forge:break-glass.'),
      })
      .strict(),
  })
  .strict()
  .superRefine((access, ctx) => {
    const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
    const owners = new Map<string, string>();
    const names = new Set<string>();
    // Application name -> team: <team>-<application> names share one namespace in Argo CD.
    const applications = new Map<string, string>();
    access.teams.forEach((t, i) => {
      if (names.has(t.name)) issue(['teams', i, 'name'], `"${t.name}" is listed twice; name each team once`);
      names.add(t.name);
      t.namespaces.forEach((ns, j) => {
        if (isPlatformNamespace(ns)) issue(['teams', i, 'namespaces', j], `"${ns}" is a platform namespace; a team may own only project namespaces`);
        else if (!t.repositories.some((r) => ns.startsWith(`${r.name}-`) && ns.length > r.name.length + 1)) {
          issue(['teams', i, 'namespaces', j], `"${ns}" is not <repository>-<project> for a repository of team ${t.name} (${t.repositories.map((r) => r.name).join(', ')}); add the repository or fix the name`);
        }
        const owner = owners.get(ns);
        if (owner !== undefined && owner !== t.name) issue(['teams', i, 'namespaces', j], `"${ns}" is already owned by team ${owner}; a namespace has one team`);
        owners.set(ns, t.name);
      });
      const appNames = new Set<string>();
      t.applications.forEach((app, j) => {
        const at = (field: string) => ['teams', i, 'applications', j, field];
        if (appNames.has(app.name)) issue(at('name'), `"${app.name}" is listed twice for team ${t.name}; name each application once`);
        appNames.add(app.name);
        const full = applicationName(t.name, app.name);
        if (full.length > APPLICATION_NAME_MAX) issue(at('name'), `"${app.name}" makes Application ${full}, longer than ${APPLICATION_NAME_MAX} characters; shorten the application (or team) name`);
        const other = applications.get(full);
        if (other !== undefined && other !== t.name) issue(at('name'), `"${app.name}" makes Application ${full}, which team ${other} already has; rename one of them`);
        applications.set(full, t.name);
        if (!t.repositories.some((r) => r.name === app.repository)) {
          issue(at('repository'), `"${app.repository}" is not a repository of team ${t.name} (${t.repositories.map((r) => r.name).join(', ')}); add it to repositories or use one of those`);
        }
        if (!t.namespaces.includes(app.namespace)) {
          issue(at('namespace'), `"${app.namespace}" is not a namespace of team ${t.name} (${t.namespaces.join(', ') || 'none listed'}); add it to namespaces or use one of those`);
        }
      });
      if (access.production && (t.level ?? access.developers.level) === 'edit') {
        issue(['teams', i, 'level'], `team ${t.name} cannot have edit in a production environment (production: true): deployments go through Argo CD; use view or none`);
      }
    });
    if (access.production && access.developers.level === 'edit') issue(['developers', 'level'], 'cannot be edit in a production environment (production: true): deployments go through Argo CD; use view or none');
    if (access.production && access.operators.level === 'admin') issue(['operators', 'level'], 'cannot be admin in a production environment (production: true); use view, and breakGlass for emergencies');
    if (access.breakGlass.enabled && access.breakGlass.principalArn === undefined && access.breakGlass.group === undefined) {
      issue(['breakGlass', 'principalArn'], 'required when breakGlass.enabled (the role that gets cluster-admin)');
    }
  });

export type AccessConfig = z.infer<typeof accessConfigSchema>;
export type TeamConfig = AccessConfig['teams'][number];
export type ApplicationConfig = TeamConfig['applications'][number];

/** Default groups, so RBAC subjects, access entries and Argo CD's SSO groups agree. */
export function teamGroup(t: TeamConfig): string {
  return t.group ?? `catalyst-forge:team:${t.name}`;
}
export function operatorsGroup(access: AccessConfig): string {
  return access.operators.group ?? 'catalyst-forge:platform-operators';
}
export function breakGlassGroup(access: AccessConfig): string {
  return access.breakGlass.group ?? 'catalyst-forge:break-glass';
}

/** A team's effective level. */
export function teamLevel(access: AccessConfig, t: TeamConfig): DeveloperLevel {
  return t.level ?? access.developers.level;
}

/** Argo CD project of a team. */
export function appProjectName(team: TeamConfig): string {
  return `team-${team.name}`;
}
