import { FatalError } from '../errors.js';

/** An IPv4 block as a 32-bit base address and a prefix length. */
export interface Ipv4Block {
  base: number;
  prefix: number;
}

/** Parses `a.b.c.d/p`; the address must be the block's own base address. */
export function parseCidr(cidr: string): Ipv4Block {
  const [address, prefixText] = cidr.split('/');
  const octets = (address ?? '').split('.').map(Number);
  const prefix = Number(prefixText);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new FatalError(`"${cidr}" is not an IPv4 CIDR`);
  }
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new FatalError(`"${cidr}" has host bits set; did you mean ${formatCidr({ base: base - (base % size), prefix })}?`);
  return { base, prefix };
}

/** Formats a block as `a.b.c.d/p`. */
export function formatCidr(block: Ipv4Block): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(block.base / 2 ** shift) % 256);
  return `${octets.join('.')}/${block.prefix}`;
}

/** The `index`-th block of `newPrefix` inside `parent` (like Terraform's cidrsubnet). */
export function subnet(parent: Ipv4Block, newPrefix: number, index: number): Ipv4Block {
  const count = 2 ** (newPrefix - parent.prefix);
  if (newPrefix < parent.prefix || index < 0 || index >= count) throw new FatalError(`cannot carve block ${index} of /${newPrefix} from ${formatCidr(parent)}`);
  return { base: parent.base + index * 2 ** (32 - newPrefix), prefix: newPrefix };
}

/** Whether two blocks share any address. */
export function overlaps(a: Ipv4Block, b: Ipv4Block): boolean {
  const aEnd = a.base + 2 ** (32 - a.prefix);
  const bEnd = b.base + 2 ** (32 - b.prefix);
  return a.base < bEnd && b.base < aEnd;
}

/** The subnets of one availability zone. */
export interface ZoneSubnets {
  private: string;
  public: string;
  database: string;
}

/** The three zone slots every layout reserves, so adding a zone later never moves a subnet. */
export const ZONE_SLOTS = 3;

/**
 * Subnet CIDRs of a VPC, per availability zone slot (0, 1, 2). The VPC is cut
 * in four quarters: three hold one large private subnet each (nodes and pods
 * live there); the fourth is cut in eight, three public and three database
 * subnets, two spare. Slots are fixed, so the layout never changes when the
 * number of zones does. For a /16: private /18, public and database /21.
 */
export function subnetLayout(vpcCidr: string): ZoneSubnets[] {
  const vpc = parseCidr(vpcCidr);
  if (vpc.prefix < 16 || vpc.prefix > 20) throw new FatalError(`"${vpcCidr}" must be a /16 to /20 network, not /${vpc.prefix}`);
  const lastQuarter = subnet(vpc, vpc.prefix + 2, 3);
  const layout: ZoneSubnets[] = [];
  for (let slot = 0; slot < ZONE_SLOTS; slot++) {
    layout.push({
      private: formatCidr(subnet(vpc, vpc.prefix + 2, slot)),
      public: formatCidr(subnet(lastQuarter, lastQuarter.prefix + 3, slot)),
      database: formatCidr(subnet(lastQuarter, lastQuarter.prefix + 3, slot + 4)),
    });
  }
  return layout;
}

/**
 * The private ranges of RFC 1918. VPCs must sit inside one: the Hub routes
 * exactly these between spokes and the egress VPC (and black-holes them
 * between workloads), so any other range would leak to the internet route or
 * lose its return path. 100.64.0.0/10 (RFC 6598, shared address space) is left
 * out on purpose for the same reason; docs/environment.md says so.
 */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

/** Whether `block` lies wholly inside one RFC 1918 range. */
export function isPrivate(block: Ipv4Block): boolean {
  return PRIVATE_RANGES.some((range) => {
    const outer = parseCidr(range);
    return block.prefix >= outer.prefix && overlaps(block, outer);
  });
}

/** A problem with a VPC CIDR outside the private ranges, naming `field`; undefined when it is private. */
export function privateRangeProblem(field: string, cidr: string): { path: string; message: string } | undefined {
  let block: Ipv4Block;
  try {
    block = parseCidr(cidr);
  } catch {
    return undefined; // A malformed CIDR is reported where it is parsed.
  }
  if (isPrivate(block)) return undefined;
  return { path: field, message: `cannot use "${cidr}": a VPC must lie inside a private range (${PRIVATE_RANGES.join(', ')}); pick a block such as 10.20.0.0/16 that no other VPC of the platform uses` };
}
