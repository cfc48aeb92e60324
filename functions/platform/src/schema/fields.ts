import { z } from 'zod';

/** RFC 1123 DNS label: what Kubernetes accepts for namespaces and most names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 1123 DNS subdomain: what Kubernetes accepts for object names. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A DNS label of at most `max` characters (63 unless a tighter limit applies). */
export function dnsLabel(max = 63) {
  return z
    .string()
    .min(1)
    .max(max)
    .regex(DNS_LABEL, { message: 'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit' });
}

/** A Kubernetes object name (DNS subdomain, at most 253 characters). */
export function objectName() {
  return z
    .string()
    .min(1)
    .max(253)
    .regex(DNS_SUBDOMAIN, { message: 'must be a DNS subdomain: lowercase letters, digits, "-" and "."' });
}

/**
 * A storage size with a binary suffix (`Mi`, `Gi`, `Ti`), as users write it in a
 * claim. Decimal suffixes and plain byte counts are refused on purpose: they
 * make sizes hard to compare at a glance and rarely mean what was intended.
 */
export const STORAGE_SIZE = /^[1-9][0-9]{0,5}(Mi|Gi|Ti)$/;

export function storageSize() {
  return z
    .string()
    .max(8)
    .regex(STORAGE_SIZE, { message: 'must be a size such as 512Mi, 20Gi or 2Ti (a whole number of Mi, Gi or Ti)' });
}

/** Access modes a PersistentVolumeClaim can ask for. */
export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/** The storage classes of the platform API. */
export const STORAGE_CLASSES = ['fast', 'standard', 'bulk'] as const;
export type StorageClassKey = (typeof STORAGE_CLASSES)[number];

/** A reference to a namespaced object. */
export const namespacedRef = z
  .object({
    name: objectName(),
    namespace: dnsLabel(),
  })
  .strict();

const IPV4_CIDR = /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}\/([0-9]|[12][0-9]|3[0-2])$/;

/** An IPv4 CIDR (`10.1.0.0/16`); prefix limits are checked where the block is carved. */
export function ipv4Cidr(example: string) {
  return z.string().max(18).regex(IPV4_CIDR, { message: `must be an IPv4 CIDR such as ${example}` });
}

/** An AWS region name such as eu-central-1. */
export function awsRegion() {
  return z.string().max(32).regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$/, { message: 'must be an AWS region such as eu-central-1' });
}

/** Which provider-aws ProviderConfig a kind's managed resources use (one in the XR's namespace by default). */
export function awsProviderConfigRef(description: string) {
  return z
    .object({ name: objectName(), kind: z.enum(['ProviderConfig', 'ClusterProviderConfig']).default('ProviderConfig') })
    .strict()
    .optional()
    .describe(description);
}
