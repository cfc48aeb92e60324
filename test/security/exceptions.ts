/**
 * Every exception to the security checks, in one place, each with its reason.
 * Adding one is a reviewed decision: say why AWS (or the design) needs it.
 */

/** An action that may be granted on `Resource: "*"`, and why. */
export interface ResourceStarException {
  action: RegExp;
  reason: string;
}

/**
 * Actions that AWS does not let a policy scope to a resource ARN (the Service
 * Authorization Reference lists no resource type for them): `Resource: "*"`
 * is the only way to grant them.
 */
export const RESOURCE_STAR_ACTIONS: readonly ResourceStarException[] = [
  { action: /^ec2:Describe[A-Za-z]+$/, reason: 'EC2 Describe* calls support no resource-level permissions (Karpenter, load balancer controller, CNI discovery)' },
  { action: /^ec2:GetInstanceTypesFromInstanceRequirements$/, reason: 'no resource type in the Service Authorization Reference' },
  { action: /^elasticloadbalancing:Describe[A-Za-z]+$/, reason: 'ELB Describe* calls support no resource-level permissions (load balancer controller)' },
  { action: /^autoscaling:Describe[A-Za-z]+$/, reason: 'Auto Scaling Describe* calls support no resource-level permissions' },
  { action: /^route53:ListHostedZones(ByName)?$/, reason: 'Route 53 list calls have no resource type (External DNS, cert-manager zone discovery)' },
  { action: /^route53:ListTagsForResources?$/, reason: 'External DNS reads zone tags; evaluated against * by Route 53' },
  { action: /^pricing:GetProducts$/, reason: 'the Pricing API has no resources (Karpenter instance pricing)' },
  { action: /^ssm:DescribeParameters$/, reason: 'no resource type in the Service Authorization Reference' },
  { action: /^sts:GetCallerIdentity$/, reason: 'needs no permission and has no resource; some controllers list it explicitly' },
  { action: /^acm:ListCertificates$/, reason: 'list call with no resource type (load balancer controller certificate discovery)' },
  { action: /^iam:ListServerCertificates$/, reason: 'list call with no resource type (load balancer controller)' },
  { action: /^(waf-regional|wafv2|shield):(Get|List|Describe)[A-Za-z]*$/, reason: 'load balancer controller reads WAF/Shield state; these reads take no resource' },
  { action: /^cognito-idp:DescribeUserPoolClient$/, reason: 'load balancer controller authentication config read' },
  { action: /^kms:(CreateKey|ListKeys|ListAliases)$/, reason: 'KMS create and list calls have no key yet to scope to' },
  { action: /^tag:GetResources$/, reason: 'Resource Groups Tagging API reads take no resource' },
  { action: /^secretsmanager:(ListSecrets|GetRandomPassword|BatchGetSecretValue)$/, reason: 'Secrets Manager list/random calls have no resource type (External Secrets)' },
  { action: /^logs:DescribeLogGroups$/, reason: 'CloudWatch Logs describe call is evaluated against *' },
  { action: /^iam:ListInstanceProfiles$/, reason: 'no resource type in the Service Authorization Reference (iam-data agrees); Karpenter lists its instance profiles when an EC2NodeClass is deleted' },
  {
    action: /^arc-zonal-shift:GetManagedResource$/,
    reason: 'its resource types are load balancers only; Karpenter asks about the EKS cluster, scoped by the arc-zonal-shift:ResourceIdentifier condition as its reference policy does',
  },
];

/**
 * Policy documents where `Resource: "*"` does not mean "everything": in a KMS
 * key policy it means "this key", and AWS requires exactly `*` there.
 */
export const RESOURCE_STAR_DOCUMENTS: ReadonlyArray<{ apiVersion: RegExp; kind: string; field: string; reason: string }> = [
  { apiVersion: /^kms\.aws\.(m\.)?upbound\.io\//, kind: 'Key', field: 'policy', reason: 'in a key policy Resource "*" means the key the policy is attached to; AWS requires it' },
];

/**
 * Statements that may grant a wildcard action, and why. Only AWS's default
 * key-policy statement: the account root keeps `kms:*` on its own key, so the
 * key can never become unmanageable; IAM policies then decide who may use it.
 */
export const WILDCARD_ACTION_STATEMENTS: ReadonlyArray<{ matches: (statement: Record<string, unknown>, kind: string) => boolean; reason: string }> = [
  {
    matches: (statement, kind) => {
      if (kind !== 'Key') return false;
      const principal = statement.Principal as { AWS?: unknown } | undefined;
      const roots = [principal?.AWS].flat();
      return statement.Action === 'kms:*' && roots.length > 0 && roots.every((p) => typeof p === 'string' && /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(p));
    },
    reason: "AWS's default key policy statement: the account root keeps kms:* on its own key so the key stays manageable",
  },
];

/**
 * Security-group rules (by composition-resource name) allowed to admit the
 * whole internet, on TCP 80 or 443 only: public load balancers. The check
 * refuses any other port even for these.
 */
export const PUBLIC_LOAD_BALANCER_RULES: ReadonlyArray<{ resource: RegExp; reason: string }> = [];

/** Ports a public load balancer may open to the internet. */
export const PUBLIC_LOAD_BALANCER_PORTS: readonly number[] = [80, 443];
