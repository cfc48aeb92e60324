import { z } from 'zod';
import { DNS_SUBDOMAIN, dnsLabel, STORAGE_CLASSES, storageSize } from '../schema/fields.js';

/** Storage operators an on-prem Environment can install; anything else (Rook Ceph) must already run. */
export const ONPREM_STORAGE_OPERATORS = ['longhorn', 'openebs'] as const;

/** TSIG algorithms both External DNS and cert-manager's RFC2136 solver accept. */
export const TSIG_ALGORITHMS = ['hmac-sha256', 'hmac-sha512'] as const;

/**
 * A secret in the environment's secret store (Vault KV): the key relative to
 * the store's mount, and the property holding the value. The function only
 * ever names it; External Secrets copies it into the cluster.
 */
const remoteSecret = z
  .object({
    key: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, { message: 'must be a secret path such as global/dns/tsig' }),
    property: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/, { message: 'must be a property name such as secret' }),
  })
  .strict();

const hostname = z.string().min(1).max(253).regex(DNS_SUBDOMAIN, { message: 'must be a DNS name such as ns1.example.internal' });

/** The LoadBalancer Service of one Gateway on an existing cluster (address pools are the cluster's business). */
const gatewayService = z
  .object({
    loadBalancerClass: z.string().min(1).max(253).optional().describe('spec.loadBalancerClass of the Service, e.g. for kube-vip or a second MetalLB.'),
    annotations: z
      .record(z.string().max(253), z.string().max(1024))
      .optional()
      .describe('Annotations of the Service, e.g. metallb.io/address-pool: public.'),
  })
  .strict();

/**
 * Data `onprem` of the platform EnvironmentConfig: what an existing cluster
 * offers and where its operators get their secrets, certificates and DNS
 * from. Required for provider onprem; nothing here has a default in code.
 */
export const onpremConfigSchema = z
  .object({
    clusterName: dnsLabel().optional().describe('Name of the existing cluster (status.clusterName and the cluster label on metrics and logs); spec.environment when absent.'),
    storage: z
      .object({
        install: z
          .array(z.enum(ONPREM_STORAGE_OPERATORS))
          .max(ONPREM_STORAGE_OPERATORS.length)
          .describe('Storage operators the Environment installs (Longhorn; OpenEBS with the LVM LocalPV engine). Ceph (Rook) and anything not listed must already run in the cluster.'),
      })
      .strict(),
    secretStore: z
      .object({
        provider: z.literal('vault').describe('The ClusterSecretStore platform-secrets reads and writes HashiCorp Vault (KV).'),
        server: z.string().url().describe('Vault address, e.g. https://vault.example.internal:8200.'),
        path: z.string().min(1).max(128).regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, { message: 'must be a KV mount path such as secret' }).describe('KV mount.'),
        version: z.enum(['v1', 'v2']).describe('KV engine version.'),
        kubernetesAuth: z
          .object({
            mountPath: z.string().min(1).max(128).describe('Mount of Vault\'s Kubernetes auth method for this cluster.'),
            role: z.string().min(1).max(128).describe('Vault role bound to external-secrets/external-secrets; its policy allows <environment>/* read-write and global/* read only.'),
          })
          .strict(),
      })
      .strict(),
    dns: z
      .discriminatedUnion('provider', [
        z.object({ provider: z.literal('none').describe('No DNS automation: a wildcard record for the zone points at the Gateways (see docs).') }).strict(),
        z
          .object({
            provider: z.literal('rfc2136').describe('Dynamic updates (RFC 2136, TSIG-signed) to an authoritative server holding the environment zone.'),
            host: hostname.describe('Authoritative DNS server.'),
            port: z.number().int().min(1).max(65535),
            tsigKeyName: hostname,
            tsigAlgorithm: z.enum(TSIG_ALGORITHMS),
            tsigSecret: remoteSecret.describe('Where the TSIG secret lives in the secret store.'),
          })
          .strict(),
      ])
      .describe('How records for Network hostnames get into DNS.'),
    certificates: z
      .discriminatedUnion('issuer', [
        z
          .object({
            issuer: z.literal('ca'),
            caSecret: z
              .object({ key: remoteSecret.shape.key })
              .strict()
              .describe('Secret-store key holding the issuing CA as properties tls.crt and tls.key.'),
          })
          .strict(),
        z
          .object({
            issuer: z.literal('acme'),
            server: z.string().url().describe('ACME directory (Let\'s Encrypt, or an internal ACME CA such as step-ca).'),
            email: z.string().email().optional(),
          })
          .strict(),
      ])
      .describe('The ClusterIssuer of the zone\'s wildcard certificate: a private CA, or ACME with DNS-01 through RFC 2136.'),
    gateways: z
      .object({ public: gatewayService.optional(), internal: gatewayService.optional() })
      .strict()
      .optional()
      .describe('How the cluster\'s load-balancer implementation serves the public and internal Gateways; absent, both are plain LoadBalancer Services.'),
    objectStorage: z
      .object({
        size: storageSize().describe('Volume of the in-cluster MinIO that holds Loki\'s chunks and indexes.'),
        storageClass: z.enum(STORAGE_CLASSES).describe('Class of the MinIO volume.'),
      })
      .strict(),
    database: z
      .object({
        host: hostname,
        port: z.number().int().min(1).max(65535),
        sslMode: z.enum(['require', 'verify-ca', 'verify-full', 'disable']),
        username: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a PostgreSQL user name' }),
        password: remoteSecret.describe('Where the admin password lives in the secret store.'),
        vaultRole: z.string().min(1).max(128).describe('Vault role, bound to crossplane-system/platform-database-root-reader only, that may read the password.'),
      })
      .strict()
      .optional()
      .describe('An existing PostgreSQL that Database XRs compose in; absent, the cluster serves no Database XRs.'),
  })
  .strict()
  .superRefine((data, ctx) => {
    if (data.certificates.issuer === 'acme' && data.dns.provider !== 'rfc2136') {
      ctx.addIssue({ code: 'custom', path: ['certificates', 'issuer'], message: 'acme needs dns.provider rfc2136: the wildcard certificate is only issued through DNS-01' });
    }
  });

/** Validated `onprem` section. */
export type OnpremConfig = z.infer<typeof onpremConfigSchema>;
