import { z } from 'zod';

/** `status.pendingResources`: the names of the composed resources still waiting; kept as it was for existing readers. */
export const pendingResourcesSchema = z
  .array(z.string())
  .optional()
  .describe('Resources waiting for what they need (for example the node group waits for the cluster); pendingReasons says for what.');

/** `status.pendingReasons`: why each pending resource waits. */
export const pendingReasonsSchema = z
  .array(
    z
      .object({
        resource: z.string().describe('The pending resource (its composition-resource name, as in pendingResources).'),
        waitingFor: z
          .array(
            z
              .object({
                resource: z.string().describe('What it waits for: a composed resource by composition-resource name, or "<Kind> <namespace>/<name>" for a resource the XR reads (its Hub).'),
                condition: z.literal('Ready').optional().describe('The condition that must become True.'),
                field: z.string().optional().describe('The field that must be reported, e.g. status.atProvider.arn.'),
              })
              .strict(),
          )
          .describe('Every unmet need; an entry with neither condition nor field waits for that resource to be created first.'),
      })
      .strict(),
  )
  .optional()
  .describe('Why each pending resource waits, sorted by resource; absent once nothing waits.');
