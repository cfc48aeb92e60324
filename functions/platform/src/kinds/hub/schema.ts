import { z } from 'zod';
import { awsProviderConfigRef, awsRegion, ipv4Cidr } from '../../schema/fields.js';
import { pendingReasonsSchema, pendingResourcesSchema } from '../../schema/pending.js';

/** Hub spec: the one definition behind the XRD and the function's validation. */
export const hubSpecSchema = z
  .object({
    region: awsRegion().describe('AWS region of the Transit Gateway and the egress VPC.'),
    egress: z
      .object({
        cidr: ipv4Cidr('10.0.0.0/20').describe('Egress VPC CIDR, /16 to /24, inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16; must not overlap any spoke.'),
        availabilityZones: z.number().int().min(2).max(3).default(3).describe('Zones of the egress VPC.'),
        natGateways: z.number().int().min(1).max(3).default(3).describe('NAT gateways (each with a fixed Elastic IP), at most one per zone.'),
      })
      .strict(),
    sharing: z
      .object({
        principals: z
          .array(
            z
              .string()
              .max(256)
              .regex(/^([0-9]{12}|arn:aws(-[a-z]+)*:organizations::[0-9]{12}:(organization|ou)\/[a-z0-9/_-]+)$/, {
                message: 'must be a 12-digit account id, or an organization or OU ARN',
              }),
          )
          .min(1)
          .describe('Who may attach: the environment accounts, or the organization (or an OU) they are in. Shared through AWS RAM within the organization only.'),
      })
      .strict()
      .describe('The Transit Gateway share (AWS RAM).'),
    amazonSideAsn: z.number().int().min(64512).max(65534).default(64512).describe('Private ASN of the Transit Gateway.'),
    providerConfigRef: awsProviderConfigRef('AWS credentials of the network account (a ProviderConfig in this namespace by default).'),
  })
  .strict()
  .describe('The network hub: a Transit Gateway with egress, workload and platform route tables, and an egress VPC with fixed public IPs.');

/** Hub spec after defaults. */
export type HubSpec = z.output<typeof hubSpecSchema>;

/** Hub status: what spokes and allow-lists need. */
export const hubStatusSchema = z
  .object({
    transitGatewayId: z.string().optional(),
    ownerAccountId: z.string().optional().describe('The network account: owner of the Transit Gateway and its route tables.'),
    egressIps: z.array(z.string()).optional().describe('Public addresses all egress leaves from, for allow-listing.'),
    routeTables: z.object({ egress: z.string().optional(), workload: z.string().optional(), platform: z.string().optional() }).strict().optional(),
    egressVpcId: z.string().optional(),
    pendingResources: pendingResourcesSchema,
    pendingReasons: pendingReasonsSchema,
  })
  .strict();
