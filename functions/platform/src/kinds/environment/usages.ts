import { composed } from '../../resources/aws/composition.js';
import { HELM_PROVIDER_CONFIG, KUBERNETES_PROVIDER_CONFIG } from './addons/cluster-access.js';
import type { EnvironmentContext } from './context.js';

const COMPONENT = 'protection';

/**
 * Deletion order, made explicit with Crossplane Usages: a resource is not
 * deleted while a resource that depends on it still exists. `of` is used by
 * each of `by`; a `by` ending in `*` means every composed resource whose key
 * starts with the rest (a Usage names one user, so each gets its own).
 *
 * Deleting the XR deletes everything at once; these pairs turn that into an
 * order (docs/environment.md, "Deletion order"). The Releases and Objects need
 * no Usage each: a ProviderConfig is held by its own in-use finalizer until
 * every managed resource that used it is gone (crossplane-runtime
 * providerconfig reconciler), so holding the cluster access behind the two
 * ProviderConfigs holds it behind every Release and Object.
 */
export const USAGES: ReadonlyArray<{ of: string; by: readonly string[]; reason: string }> = [
  { of: 'kms-key', by: ['cluster', 'database', 'bucket-artifacts', 'bucket-logs'], reason: 'encrypts their data; deleting it first makes the data unreadable' },
  { of: 'vpc', by: ['cluster', 'database'], reason: 'their network interfaces live in it' },
  { of: 'role-cluster', by: ['cluster'], reason: 'EKS needs the cluster role to delete the cluster cleanly' },
  { of: 'cluster', by: ['node-group-system'], reason: 'nodes are drained and removed before the control plane' },
  { of: 'database-subnet-group', by: ['database'], reason: 'the instance lives in these subnets' },
  { of: 'security-group-database', by: ['database'], reason: 'the instance uses this security group' },
  {
    of: 'cluster-auth',
    by: [HELM_PROVIDER_CONFIG, KUBERNETES_PROVIDER_CONFIG],
    reason: 'it reads the kubeconfig Secret this writes, and stays until every Release and Object using it is gone',
  },
  { of: 'cluster', by: ['cluster-auth'], reason: 'the kubeconfig it writes reaches this cluster' },
  {
    of: 'node-group-system',
    by: ['cluster-auth'],
    reason: 'the controllers that finish uninstalling the add-ons (finalizers, Karpenter nodes) run on these nodes',
  },
  {
    of: 'release-karpenter',
    by: ['object-karpenter-node-class-*', 'object-karpenter-node-pool-*'],
    reason: 'Karpenter terminates the instances it launched before their node class goes; without it they outlive the cluster',
  },
  { of: 'pod-identity-karpenter', by: ['release-karpenter'], reason: 'Karpenter terminates its instances with this identity' },
  { of: 'role-karpenter-controller', by: ['release-karpenter'], reason: 'Karpenter terminates its instances with this role' },
];

/** The composed keys a `by` entry names, sorted. */
function users(ctx: EnvironmentContext, by: string): string[] {
  if (!by.endsWith('*')) return [by];
  const prefix = by.slice(0, -1);
  return Object.keys(ctx.resources)
    .filter((key) => key.startsWith(prefix))
    .sort();
}

/** A key without the Release/Object prefix, to keep Usage names within 63 characters. */
function short(key: string): string {
  return key.replace(/^(release|object)-/, '');
}

/** One Usage per (of, by) pair, added once both resources are composed. */
export function buildUsages(ctx: EnvironmentContext): void {
  const ref = (resource: Record<string, unknown>) => ({
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    resourceRef: { name: (resource.metadata as { name: string }).name },
  });
  for (const usage of USAGES) {
    for (const by of usage.by.flatMap((entry) => users(ctx, entry))) {
      const of = ctx.resources[usage.of]?.resource;
      const user = ctx.resources[by]?.resource;
      ctx.addObject(
        `usage-${short(usage.of)}-by-${short(by)}`,
        COMPONENT,
        of !== undefined && user !== undefined
          ? {
              apiVersion: 'protection.crossplane.io/v1beta1',
              kind: 'Usage',
              spec: { of: ref(of), by: ref(user), reason: `${by} uses ${usage.of}: ${usage.reason}`, replayDeletion: true },
            }
          : ctx.waiting(composed(usage.of), composed(by)),
      );
    }
  }
}
