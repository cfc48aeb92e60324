import { z } from 'zod';
import { dnsLabel, namespacedRef, objectName } from '../schema/fields.js';
import { storageClassesSchema } from './storage-classes.js';
import type { ConfigLayer } from './resolve.js';

/** Name of the EnvironmentConfig an Environment installs into its own cluster. */
export const PLATFORM_ENVIRONMENT_CONFIG = 'platform-environment';

/**
 * Data of the `platform-environment` EnvironmentConfig in an environment
 * cluster: everything the project kinds (Network, Storage, Database) need to
 * know about the environment they run in. Every section is validated when
 * present; each kind states which sections it needs, so a Storage does not
 * fail because a Database setting is missing.
 */
export const platformEnvironmentSchema = z
  .object({
    environment: dnsLabel(20).describe('Environment name (dev, staging, prod, ...).'),
    zone: z
      .string()
      .min(1)
      .max(253)
      .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, { message: 'must be a DNS zone name such as dev.eu-central-1.example.com' })
      .optional()
      .describe('DNS zone of the environment; Network hostnames live under it.'),
    gateways: z
      .object({ public: namespacedRef, internal: namespacedRef })
      .strict()
      .optional()
      .describe('The public and internal Gateways that Network routes attach to.'),
    storageClasses: storageClassesSchema.optional(),
    database: z
      .object({
        host: z.string().min(1).max(253),
        port: z.number().int().min(1).max(65535),
        providerConfigName: objectName().describe('provider-sql ClusterProviderConfig for the shared instance.'),
      })
      .strict()
      .optional(),
    secrets: z
      .object({
        prefix: z.string().min(1).max(64).describe('Secrets Manager prefix of this environment, for example dev/.'),
        store: z
          .object({ kind: z.enum(['ClusterSecretStore', 'SecretStore']), name: objectName() })
          .strict(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Validated `platform-environment` data. */
export type PlatformEnvironment = z.infer<typeof platformEnvironmentSchema>;

/** Sections a project kind may require. */
export type PlatformEnvironmentSection = Exclude<keyof PlatformEnvironment, 'environment'>;

/** The one layer project kinds read: the environment cluster's `platform-environment`. */
export const platformEnvironmentLayers: readonly ConfigLayer[] = [
  {
    requirementName: 'environment-config-platform-environment',
    selector: { apiVersion: 'apiextensions.crossplane.io/v1beta1', kind: 'EnvironmentConfig', matchName: PLATFORM_ENVIRONMENT_CONFIG },
  },
];
