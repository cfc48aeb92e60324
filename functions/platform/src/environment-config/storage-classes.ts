import { z } from 'zod';
import { ACCESS_MODES, objectName, storageSize } from '../schema/fields.js';

/**
 * One storage class as both EnvironmentConfigs describe it: the platform one
 * (which the Environment turns into a StorageClass) and `platform-environment`
 * (which Storage reads). Keeping one schema means the two can never disagree on
 * what a class can serve.
 */
export const storageClassSchema = z
  .object({
    name: objectName().describe('Name of the Kubernetes StorageClass.'),
    provisioner: z.string().min(1).max(253).describe('CSI driver, for example ebs.csi.aws.com or driver.longhorn.io.'),
    parameters: z
      .record(z.string().max(253), z.string().max(1024))
      .optional()
      .describe('StorageClass parameters passed to the provisioner (for example type: gp3).'),
    accessModes: z
      .array(z.enum(ACCESS_MODES))
      .min(1)
      .describe('Access modes the backend can serve; a Storage asking for another mode is refused.'),
    reclaimPolicy: z.enum(['Delete', 'Retain']).describe('What happens to the volume when its claim is deleted.'),
    volumeBindingMode: z.enum(['Immediate', 'WaitForFirstConsumer']),
    allowVolumeExpansion: z.boolean(),
    minSize: storageSize().optional().describe('Smallest volume the backend provisions (sc1: 125Gi, io2: 4Gi).'),
    maxSize: storageSize().optional().describe('Largest volume the backend provisions.'),
  })
  .strict();

/** One storage class mapping entry. */
export type StorageClassMapping = z.infer<typeof storageClassSchema>;

/** The `fast`/`standard`/`bulk` mapping. */
export const storageClassesSchema = z
  .object({
    fast: storageClassSchema,
    standard: storageClassSchema,
    bulk: storageClassSchema,
  })
  .strict();
