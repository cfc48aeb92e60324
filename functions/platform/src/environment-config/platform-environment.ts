import { z } from 'zod';
import { dnsLabel, namespacedRef, objectName } from '../schema/fields.js';
import { FatalError } from '../errors.js';
import { storageClassesSchema } from './storage-classes.js';
import type { ConfigLayer, FetchedResources } from './resolve.js';

/** Name of the EnvironmentConfig an Environment installs into its own cluster. */
export const PLATFORM_ENVIRONMENT_CONFIG = 'platform-environment';

/**
 * One Gateway project routes attach to. `sectionName` picks its listener (the
 * HTTPS one, so routes are never served in plain HTTP); `serviceAccount` is
 * the identity of the gateway's Envoy proxies in the mesh (fixed by the
 * EnvoyProxy `envoyServiceAccount`), which Network's AuthorizationPolicy admits.
 */
export const gatewayRefSchema = z
  .object({
    name: objectName(),
    namespace: dnsLabel(),
    sectionName: objectName().optional().describe('Listener of the Gateway that routes attach to (for example https).'),
    serviceAccount: namespacedRef.optional().describe("Service account of the gateway's Envoy proxies: the principal admitted to project services."),
  })
  .strict();

/** A Gateway entry of `platform-environment`. */
export type GatewayRef = z.infer<typeof gatewayRefSchema>;

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
      .object({ public: gatewayRefSchema, internal: gatewayRefSchema })
      .strict()
      .optional()
      .describe('The public and internal Gateways that Network routes attach to.'),
    mesh: z
      .object({
        trustDomain: z
          .string()
          .min(1)
          .max(253)
          .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: 'must be a trust domain such as cluster.local' })
          .describe('Istio trust domain: service-account principals are <trustDomain>/ns/<namespace>/sa/<name>.'),
      })
      .strict()
      .optional()
      .describe('The service mesh (Istio ambient) the project workloads run in.'),
    storageClasses: storageClassesSchema.optional(),
    database: z
      .object({
        host: z.string().min(1).max(253),
        port: z.number().int().min(1).max(65535),
        providerConfigName: objectName().describe('provider-sql ClusterProviderConfig for the shared instance.'),
        sslMode: z
          .enum(['require', 'verify-ca', 'verify-full', 'disable'])
          .optional()
          .describe('sslmode of the connection URL handed to workloads; require when absent.'),
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

/**
 * The section a kind cannot work without, or a Fatal naming it: each kind asks
 * only for its own sections, so a cluster without a database can still serve
 * Storage and Network.
 */
export function requireSection<K extends PlatformEnvironmentSection>(
  config: PlatformEnvironment,
  section: K,
  purpose: string,
): NonNullable<PlatformEnvironment[K]> {
  const value = config[section];
  if (value === undefined || value === null) {
    throw new FatalError(`cannot ${purpose}: EnvironmentConfig "${PLATFORM_ENVIRONMENT_CONFIG}" has no data.${section}`);
  }
  return value as NonNullable<PlatformEnvironment[K]>;
}

/** The one layer project kinds read: the environment cluster's `platform-environment`. */
export const platformEnvironmentRequirement: FetchedResources = {
  requirementName: 'environment-config-platform-environment',
  apiVersion: 'apiextensions.crossplane.io/v1beta1',
  kind: 'EnvironmentConfig',
  name: PLATFORM_ENVIRONMENT_CONFIG,
};

export const platformEnvironmentLayers: readonly ConfigLayer[] = [
  { requirementName: platformEnvironmentRequirement.requirementName, matchName: PLATFORM_ENVIRONMENT_CONFIG },
];
