import type { EnvironmentContext } from './context.js';

const COMPONENT = 'protection';

/**
 * Deletion order, made explicit with Crossplane Usages: a resource is not
 * deleted while a resource that depends on it still exists. `of` is used by
 * each of `by`.
 */
export const USAGES: ReadonlyArray<{ of: string; by: readonly string[]; reason: string }> = [
  { of: 'kms-key', by: ['cluster', 'database', 'bucket-artifacts', 'bucket-logs'], reason: 'encrypts their data; deleting it first makes the data unreadable' },
  { of: 'vpc', by: ['cluster', 'database'], reason: 'their network interfaces live in it' },
  { of: 'role-cluster', by: ['cluster'], reason: 'EKS needs the cluster role to delete the cluster cleanly' },
  { of: 'cluster', by: ['node-group-system'], reason: 'nodes are drained and removed before the control plane' },
  { of: 'database-subnet-group', by: ['database'], reason: 'the instance lives in these subnets' },
  { of: 'security-group-database', by: ['database'], reason: 'the instance uses this security group' },
];

/** One Usage per (of, by) pair, added once both resources are composed. */
export function buildUsages(ctx: EnvironmentContext): void {
  for (const usage of USAGES) {
    for (const by of usage.by) {
      const of = ctx.resources[usage.of]?.resource;
      const user = ctx.resources[by]?.resource;
      const ref = (resource: Record<string, unknown>) => ({
        apiVersion: resource.apiVersion,
        kind: resource.kind,
        resourceRef: { name: (resource.metadata as { name: string }).name },
      });
      ctx.addObject(
        `usage-${usage.of}-by-${by}`,
        COMPONENT,
        of !== undefined && user !== undefined
          ? {
              apiVersion: 'protection.crossplane.io/v1beta1',
              kind: 'Usage',
              spec: { of: ref(of), by: ref(user), reason: `${by} uses ${usage.of}: ${usage.reason}`, replayDeletion: true },
            }
          : undefined,
      );
    }
  }
}
