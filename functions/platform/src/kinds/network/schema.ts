import { z } from 'zod';
import { dnsLabel, objectName } from '../../schema/fields.js';

/** A Service name: an RFC 1035 label (Kubernetes refuses Service names starting with a digit). */
const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Characters the Gateway API allows in an Exact or PathPrefix path. The
 * sequences it also forbids (`//`, `/./`, `%2f`, ...) cannot be said in a
 * Kubernetes pattern (RE2, no look-ahead), so the composer checks those.
 */
const HTTP_PATH = /^\/(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})*$/;

/** A Gateway API duration: up to four groups of a number and h, m, s or ms. */
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

function duration() {
  return z.string().max(32).regex(DURATION, { message: 'must be a duration such as 30s, 1m or 500ms' });
}

/** Pod label keys and values (qualified names), for the policy's workload selector. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A key shortened for a message: user input must not make an error unreadable. */
function shown(key: string): string {
  return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}...` : key);
}

/**
 * Checks selector keys before zod's record does, for two reasons: the record
 * drops a `__proto__` key without a word (it guards the prototype), and it
 * names a bad key in the field path, where a huge key would swamp the message.
 * Here a bad key is named, shortened, in the message of `...selector`; the
 * first in sorted order, so the message does not depend on key order.
 */
function checkLabelKeys(value: unknown, ctx: { issues: z.core.$ZodRawIssue[] }): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const bad = Object.keys(value)
    .sort()
    .find((key) => key === '__proto__' || key.length > 253 || !LABEL_KEY.test(key));
  if (bad !== undefined) {
    ctx.issues.push({ code: 'custom', message: `${shown(bad)} is not a label key ([prefix/]name, at most 253 characters)`, input: value, path: [] });
  }
  return value;
}

/** The longest list of paths one Network routes (one HTTPRoute rule). */
export const MAX_PATHS = 16;

/**
 * Network spec: the one definition behind the XRD (`npm run generate`) and the
 * function's validation of every request.
 */
export const networkSpecSchema = z
  .object({
    service: z
      .object({
        name: z
          .string()
          .min(1)
          .max(63)
          .regex(SERVICE_NAME, { message: 'must be a Service name: lowercase letters, digits and "-", starting with a letter' })
          .optional()
          .describe('Service in this namespace that receives the traffic; defaults to metadata.name.'),
        port: z.number().int().min(1).max(65535).describe('Service port to send the traffic to.'),
        selector: z
          .preprocess(
            checkLabelKeys,
            z.record(
              z.string().max(253).regex(LABEL_KEY, { message: 'must be a label key' }),
              z.string().max(63).regex(LABEL_VALUE, { message: 'must be a label value' }),
            ),
          )
          .optional()
          .describe('Pod labels of the workload behind the Service, which the mesh policy protects; defaults to app.kubernetes.io/name: <service name>.'),
      })
      .strict()
      .describe('The Service behind this Network.'),
    hostname: dnsLabel()
      .describe('First label of the host name: the Network answers at <hostname>.<environment zone>.'),
    paths: z
      .array(
        z
          .object({
            path: z
              .string()
              .min(1)
              .max(1024)
              .regex(HTTP_PATH, { message: 'must be an absolute URL path such as /api (letters, digits and -._~!$&\'()*+,;=:@/ or %XX)' })
              .describe('Absolute URL path; listed once (a trailing "/" does not make it another path).'),
            type: z.enum(['PathPrefix', 'Exact']).default('PathPrefix').describe('PathPrefix: this path and everything below it; Exact: this path only.'),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_PATHS)
      .default([{ path: '/', type: 'PathPrefix' }])
      .describe('Paths routed to the Service; PathPrefix matches whole path segments.'),
    visibility: z
      .enum(['public', 'internal'])
      .default('public')
      .describe('public: the internet-facing Gateway; internal: the Gateway reachable only from inside the network.'),
    allowedCallers: z
      .array(
        z
          .object({
            namespace: dnsLabel().describe('Namespace of the calling workload.'),
            serviceAccount: objectName().describe('Service account of the calling workload.'),
          })
          .strict(),
      )
      .max(32)
      .default([])
      .describe('Workloads (by service account) allowed to call the Service directly inside the mesh; the gateway is always allowed.'),
    timeouts: z
      .object({
        request: duration().optional().describe('Whole request, from the gateway to the last byte of the response.'),
        idle: duration().optional().describe('Idle time after which a connection to the Service is closed.'),
        connect: duration().optional().describe('Time to establish a connection to the Service.'),
      })
      .strict()
      .optional()
      .describe('Timeouts applied at the gateway (Envoy Gateway BackendTrafficPolicy).'),
    retries: z
      .object({
        attempts: z.number().int().min(1).max(5).describe('Retries after the first attempt.'),
        perTryTimeout: duration().optional().describe('Timeout of each attempt.'),
        statusCodes: z
          .array(z.number().int().min(500).max(599))
          .max(10)
          .optional()
          .describe('Also retry on these response codes (only for idempotent APIs: the request reached the Service).'),
      })
      .strict()
      .optional()
      .describe('Retries at the gateway; by default only requests that never reached the Service are retried.'),
    rateLimit: z
      .object({
        requestsPerMinute: z.number().int().min(1).max(1_000_000).describe('Requests per minute, per gateway replica.'),
      })
      .strict()
      .optional()
      .describe('Local rate limit at the gateway.'),
    enforcement: z
      .enum(['audit', 'enforce'])
      .default('enforce')
      .describe(
        'enforce: only the gateway and allowedCallers reach the Service. audit: any workload in the mesh still reaches it, and the exact policy runs as an Istio dry-run copy that ztunnel logs instead of enforcing, to roll allowedCallers out safely (docs/network.md).',
      ),
  })
  .strict()
  .describe('Exposes a Service of this namespace through the environment gateway and restricts who may call it.');

/** Network spec after defaults. */
export type NetworkSpec = z.output<typeof networkSpecSchema>;

/** Network status, written by the function. */
export const networkStatusSchema = z
  .object({
    url: z.string().optional().describe('https URL of the Network.'),
    hostname: z.string().optional().describe('Fully qualified host name, <hostname>.<environment zone>.'),
    gateway: z.string().optional().describe('Gateway the route is attached to, as namespace/name.'),
  })
  .strict();
