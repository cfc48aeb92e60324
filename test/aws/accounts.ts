/**
 * An account model of rendered compositions: which AWS account each managed
 * resource is written in (through its ProviderConfig), and whether AWS allows
 * what it does there, following AWS's rules for resources of several accounts:
 * - A Transit Gateway is used by another account only once shared with it
 *   through AWS RAM (the Transit Gateway associated with a resource share
 *   that names the account or its organization).
 * - An attachment from another account is pending until the owner accepts it
 *   (a TransitGatewayVPCAttachmentAccepter in the owner's account), unless the
 *   Transit Gateway auto-accepts shared attachments.
 * - A VPC attachment to a shared Transit Gateway cannot set its default route
 *   table association or propagation (the provider neither sets nor reads
 *   them there); the owner's acceptance does.
 * - Only the Transit Gateway's owner manages its route tables: routes,
 *   associations and propagations are written in the owner's account.
 * - Route53 hosted zones cannot be shared: records are written by the zone's
 *   account only.
 * - KMS keys and SQS queues of another account are used only through a
 *   resource policy granting it; none is composed, so any such ARN is an error.
 * - References between managed resources (`*Ref`) resolve in the cluster, but
 *   the ids they carry name objects AWS looks up in the writer's account: they
 *   must stay in one account, except the owner's operations on a spoke's
 *   attachment (accept, associate, propagate), which AWS addresses by id.
 */
import { fp, nameOf } from './network.js';
import type { Resources } from '../helpers/settle.js';

type JsonObject = Record<string, unknown>;

/** One rendered composition: its namespace and resources. */
export interface Composition {
  label: string;
  namespace: string;
  resources: Resources;
}

/** What exists outside the compositions, and who owns it. */
export interface World {
  /** `ProviderConfig:<namespace>:<name>` or `ClusterProviderConfig:<name>` -> account id. */
  providerConfigs: Record<string, string>;
  /** Hosted zone id -> owning account, for zones referenced by id. */
  zones: Record<string, string>;
  /** Organization ARN -> member accounts. */
  organizations: Record<string, readonly string[]>;
}

/** A Transit Gateway as the model knows it, from the Hub's render. */
interface TransitGateway {
  id: string;
  arn: string;
  owner: string;
  autoAccept: boolean;
  sharedWith: Set<string>;
  routeTables: Set<string>;
}

const refName = (v: unknown): string | undefined => (v as { name?: string } | undefined)?.name;

/** Every `*Ref`/`*Refs` field in a forProvider, nested ones included (a zone's `vpc[].vpcIdRef`), with its path. */
function references(node: unknown, path = 'forProvider'): Array<[string, unknown]> {
  if (Array.isArray(node)) return node.flatMap((v, i) => references(v, `${path}[${i}]`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([k, v]) => (/Refs?$/.test(k) ? [[`${path}.${k}`, v] as [string, unknown]] : references(v, `${path}.${k}`)));
}

/** Cross-account references AWS allows: the owner's operations on a spoke's attachment. */
const CROSS_ACCOUNT_REFS: ReadonlySet<string> = new Set([
  'TransitGatewayVPCAttachmentAccepter->TransitGatewayVPCAttachment',
  'TransitGatewayRouteTableAssociation->TransitGatewayVPCAttachment',
  'TransitGatewayRouteTablePropagation->TransitGatewayVPCAttachment',
]);

export class AccountModel {
  readonly violations: string[] = [];
  private readonly gateways: TransitGateway[] = [];

  constructor(
    readonly world: World,
    readonly compositions: readonly Composition[],
    /** Per composition label: what AWS reported for its resources (ids, ARNs), by metadata.name. */
    readonly reported: (label: string, name: string) => JsonObject,
  ) {
    for (const c of compositions) this.collectGateways(c);
    for (const c of compositions) this.check(c);
  }

  /** The account a resource is written in, through its ProviderConfig. */
  accountOf(c: Composition, r: JsonObject): string | undefined {
    const ref = (r.spec as { providerConfigRef?: { kind?: string; name?: string } } | undefined)?.providerConfigRef;
    if (ref?.name === undefined) return undefined;
    const key = ref.kind === 'ClusterProviderConfig' ? `ClusterProviderConfig:${ref.name}` : `ProviderConfig:${c.namespace}:${ref.name}`;
    return this.world.providerConfigs[key];
  }

  private collectGateways(c: Composition): void {
    for (const r of Object.values(c.resources).filter((x) => x.kind === 'TransitGateway')) {
      const owner = this.accountOf(c, r);
      const reported = this.reported(c.label, nameOf(r));
      if (owner === undefined || typeof reported.id !== 'string' || typeof reported.arn !== 'string') continue;
      const gateway: TransitGateway = { id: reported.id, arn: reported.arn, owner, autoAccept: fp(r).autoAcceptSharedAttachments === 'enable', sharedWith: new Set(), routeTables: new Set() };
      const shares = new Set(
        Object.values(c.resources)
          .filter((x) => x.kind === 'ResourceAssociation' && fp(x).resourceArn === gateway.arn && this.accountOf(c, x) === owner)
          .map((x) => refName(fp(x).resourceShareArnRef)),
      );
      for (const p of Object.values(c.resources).filter((x) => x.kind === 'PrincipalAssociation' && shares.has(refName(fp(x).resourceShareArnRef)))) {
        const principal = String(fp(p).principal);
        for (const account of this.world.organizations[principal] ?? [principal]) gateway.sharedWith.add(account);
      }
      for (const t of Object.values(c.resources).filter((x) => x.kind === 'TransitGatewayRouteTable' && refName(fp(x).transitGatewayIdRef) === nameOf(r))) {
        const id = this.reported(c.label, nameOf(t)).id;
        if (typeof id === 'string') gateway.routeTables.add(id);
      }
      this.gateways.push(gateway);
    }
  }

  private fail(c: Composition, r: JsonObject, message: string): void {
    this.violations.push(`${c.label}: ${String(r.kind)} ${nameOf(r)}: ${message}`);
  }

  private gatewayById(id: unknown): TransitGateway | undefined {
    return this.gateways.find((g) => g.id === id);
  }

  private check(c: Composition): void {
    const byName = new Map(Object.values(c.resources).map((r) => [nameOf(r), r]));
    for (const r of Object.values(c.resources)) {
      const apiVersion = String(r.apiVersion);
      if (!apiVersion.includes('.aws.m.upbound.io/')) continue;
      const account = this.accountOf(c, r);
      if (account === undefined) {
        this.fail(c, r, 'its ProviderConfig maps to no known account');
        continue;
      }
      const p = fp(r);
      // References stay in one account, but for the owner's operations on an attachment.
      for (const [field, value] of references(p)) {
        for (const ref of Array.isArray(value) ? value : [value]) {
          const target = byName.get(refName(ref) ?? '');
          if (target === undefined) continue;
          const targetAccount = this.accountOf(c, target);
          if (targetAccount !== account && !CROSS_ACCOUNT_REFS.has(`${String(r.kind)}->${String(target.kind)}`)) {
            this.fail(c, r, `${field} names ${String(target.kind)} ${nameOf(target)} of account ${targetAccount}, but it is written in ${account}`);
          }
        }
      }
      this.checkKind(c, r, account, byName);
      this.checkArns(c, r, account, p);
    }
  }

  private routeTableOwner(c: Composition, p: JsonObject, byName: Map<string, JsonObject>): string | undefined {
    if (typeof p.transitGatewayRouteTableId === 'string') return this.gateways.find((g) => g.routeTables.has(String(p.transitGatewayRouteTableId)))?.owner;
    const ref = byName.get(refName(p.transitGatewayRouteTableIdRef) ?? '');
    return ref === undefined ? undefined : this.accountOf(c, ref);
  }

  private checkKind(c: Composition, r: JsonObject, account: string, byName: Map<string, JsonObject>): void {
    const p = fp(r);
    switch (r.kind) {
      case 'TransitGatewayRouteTableAssociation':
      case 'TransitGatewayRouteTablePropagation':
      case 'TransitGatewayRoute': {
        const owner = this.routeTableOwner(c, p, byName);
        if (owner === undefined) this.fail(c, r, 'its Transit Gateway route table is unknown');
        else if (owner !== account) this.fail(c, r, `only the Transit Gateway's owner (${owner}) manages its route tables; written in ${account}`);
        break;
      }
      case 'TransitGatewayVPCAttachment': {
        if (p.transitGatewayIdRef !== undefined) break;
        const gateway = this.gatewayById(p.transitGatewayId);
        if (gateway === undefined) {
          this.fail(c, r, `Transit Gateway ${String(p.transitGatewayId)} is unknown`);
          break;
        }
        if (gateway.owner === account) break;
        if (p.transitGatewayDefaultRouteTableAssociation !== undefined || p.transitGatewayDefaultRouteTablePropagation !== undefined) {
          this.fail(c, r, `sets the default route table association or propagation, which the provider cannot configure on a Transit Gateway shared from ${gateway.owner}`);
        }
        if (!gateway.sharedWith.has(account)) this.fail(c, r, `Transit Gateway ${gateway.id} of ${gateway.owner} is not shared with ${account} through AWS RAM`);
        const acceptedByOwner = Object.values(c.resources).some(
          (x) => x.kind === 'TransitGatewayVPCAttachmentAccepter' && refName(fp(x).transitGatewayAttachmentIdRef) === nameOf(r) && this.accountOf(c, x) === gateway.owner,
        );
        if (!gateway.autoAccept && !acceptedByOwner) this.fail(c, r, `stays pendingAcceptance: ${gateway.owner} neither auto-accepts nor accepts it`);
        break;
      }
      case 'TransitGatewayVPCAttachmentAccepter': {
        const attachment = byName.get(refName(p.transitGatewayAttachmentIdRef) ?? '');
        const gateway = this.gatewayById(fp(attachment).transitGatewayId);
        if (gateway === undefined) this.fail(c, r, 'accepts an attachment to an unknown Transit Gateway');
        else if (gateway.owner !== account) this.fail(c, r, `only the Transit Gateway's owner (${gateway.owner}) accepts attachments; written in ${account}`);
        break;
      }
      case 'Route': {
        if (typeof p.transitGatewayId !== 'string') break;
        const gateway = this.gatewayById(p.transitGatewayId);
        if (gateway === undefined) this.fail(c, r, `Transit Gateway ${p.transitGatewayId} is unknown`);
        else if (gateway.owner !== account && !gateway.sharedWith.has(account)) this.fail(c, r, `routes to Transit Gateway ${gateway.id}, not shared with ${account}`);
        break;
      }
      case 'Record': {
        const zone = typeof p.zoneId === 'string' ? this.world.zones[p.zoneId] : this.accountOf(c, byName.get(refName(p.zoneIdRef) ?? '') ?? {});
        if (zone === undefined) this.fail(c, r, 'its hosted zone is unknown');
        else if (zone !== account) this.fail(c, r, `hosted zones cannot be shared: the zone belongs to ${zone}, the record is written in ${account}`);
        break;
      }
      default:
    }
  }

  /** KMS keys and SQS queues of another account: usable only through a resource policy, and none is composed. */
  private checkArns(c: Composition, r: JsonObject, account: string, node: unknown, path = 'forProvider'): void {
    if (typeof node === 'string') {
      // Policy documents name principals of other accounts on purpose (trust); they are IAM's model.
      if (node.startsWith('{')) return;
      const m = /^arn:aws[a-z-]*:(kms|sqs):[a-z0-9-]*:([0-9]{12}):/.exec(node);
      if (m !== null && m[2] !== account) this.fail(c, r, `${path} uses ${m[1]} resource ${node} of account ${m[2]} from ${account} without a resource policy`);
      return;
    }
    if (Array.isArray(node)) node.forEach((v, i) => this.checkArns(c, r, account, v, `${path}[${i}]`));
    else if (typeof node === 'object' && node !== null) for (const [k, v] of Object.entries(node)) this.checkArns(c, r, account, v, `${path}.${k}`);
  }
}
