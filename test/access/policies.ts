/**
 * Facts the evaluator needs from outside this repository, as data.
 *
 * EKS access policies: the rules of the AWS-managed policies the package
 * associates, from the EKS User Guide, "Review access policy permissions"
 * (access-policy-reference). Each row is one rule; like RBAC, rules only
 * allow. A policy associated with scope `cluster` applies to every namespace
 * and to cluster-scoped resources; with scope `namespace` only inside the
 * listed namespaces (a trailing `*` is a wildcard).
 *
 * Kubernetes' user-facing ClusterRoles (used on-prem, where there are no
 * access entries) are modelled by the EKS policies AWS says they resemble:
 * `view` by AmazonEKSViewPolicy (no Secrets), `edit` by AmazonEKSEditPolicy
 * (Secrets, pods/exec, no RBAC objects), `cluster-admin` by
 * AmazonEKSClusterAdminPolicy. The real `edit` also aggregates rules that
 * CRDs opt into; the tests never rely on those.
 *
 * Argo CD: the built-in roles of its builtin-policy.csv, `role:readonly`
 * (get on every resource) and `role:admin` (everything).
 */

export interface Rule {
  apiGroups: readonly string[];
  resources: readonly string[];
  verbs: readonly string[];
  resourceNames?: readonly string[];
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

const VIEW_RULES: Rule[] = [
  { apiGroups: ['apps'], resources: ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], verbs: READ },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], verbs: READ },
  { apiGroups: ['batch'], resources: ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  { apiGroups: ['extensions'], resources: ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingresses/status', 'networkpolicies'], verbs: READ },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'], verbs: READ },
  { apiGroups: [''], resources: ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], verbs: READ },
  { apiGroups: [''], resources: ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status'], verbs: READ },
  { apiGroups: [''], resources: ['namespaces'], verbs: READ },
];

const EDIT_RULES: Rule[] = [
  { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], verbs: WRITE },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: WRITE },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: WRITE },
  { apiGroups: ['extensions'], resources: ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale'], verbs: WRITE },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: WRITE },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: WRITE },
  { apiGroups: [''], resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], verbs: READ },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  { apiGroups: [''], resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], verbs: WRITE },
  { apiGroups: [''], resources: ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'], verbs: WRITE },
  ...VIEW_RULES,
];

const CLUSTER_ADMIN_RULES: Rule[] = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];

/** The AWS-managed access policies by ARN. */
export const EKS_ACCESS_POLICIES: Readonly<Record<string, readonly Rule[]>> = {
  'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy': VIEW_RULES,
  'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy': EDIT_RULES,
  'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy': CLUSTER_ADMIN_RULES,
};

/** Kubernetes' user-facing ClusterRoles, as bound on-prem. */
export const BUILT_IN_CLUSTER_ROLES: Readonly<Record<string, readonly Rule[]>> = {
  view: VIEW_RULES,
  edit: EDIT_RULES,
  'cluster-admin': CLUSTER_ADMIN_RULES,
};

/** Argo CD's built-in roles: policy lines `p, <role>, <resource>, <action>, <object>, allow`. */
export const ARGOCD_BUILT_IN_POLICY: readonly string[] = [
  'p, role:readonly, *, get, *, allow',
  'p, role:admin, *, *, *, allow',
];
