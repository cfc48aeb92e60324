import { z } from 'zod';
import { ACCESS_MODES, STORAGE_CLASSES, storageSize } from '../../schema/fields.js';

/**
 * Storage spec: the one definition behind the XRD (`npm run generate`) and the
 * function's validation of every request.
 */
export const storageSpecSchema = z
  .object({
    class: z
      .enum(STORAGE_CLASSES)
      .default('standard')
      .describe('Performance class: fast (io2 on AWS), standard (gp3) or bulk (sc1). The environment maps it to a StorageClass.'),
    size: storageSize().describe('Requested size, such as 20Gi. Claims can grow (if the class allows expansion) but never shrink.'),
    accessMode: z
      .enum(ACCESS_MODES)
      .default('ReadWriteOnce')
      .describe('Access mode of the claim; a mode the class backend cannot serve is refused.'),
  })
  .strict()
  .describe('A persistent volume for a project, sized and classed by the platform.');

/** Storage spec after defaults. */
export type StorageSpec = z.output<typeof storageSpecSchema>;

/** Storage status, written by the function from what it composed and observed. */
export const storageStatusSchema = z
  .object({
    claimName: z.string().optional().describe('Name of the PersistentVolumeClaim in this namespace; mount it by this name.'),
    storageClassName: z.string().optional().describe('StorageClass the claim uses.'),
    phase: z.string().optional().describe('Phase of the claim (Pending, Bound, Lost) once observed.'),
    capacity: z.string().optional().describe('Provisioned capacity once bound.'),
  })
  .strict();
