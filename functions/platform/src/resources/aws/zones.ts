import { FatalError } from '../../errors.js';

/**
 * Availability Zone IDs that take new subnets, by region. IDs, not names:
 * AWS maps zone names (eu-central-1a) to physical zones differently in every
 * account, and the Hub and its spokes live in different accounts, so only the
 * ID puts a spoke's attachment subnet in the same zone as the egress subnet.
 * Zones AWS closes to new customers are left out (us-west-1 has two open
 * zones, ap-northeast-1 skips apne1-az3). A region missing here fails with a
 * Fatal: add it, with the IDs `aws ec2 describe-availability-zones` lists.
 */
export const AVAILABILITY_ZONE_IDS: Readonly<Record<string, readonly string[]>> = {
  'us-east-1': ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az5', 'use1-az6'],
  'us-east-2': ['use2-az1', 'use2-az2', 'use2-az3'],
  'us-west-1': ['usw1-az1', 'usw1-az3'],
  'us-west-2': ['usw2-az1', 'usw2-az2', 'usw2-az3', 'usw2-az4'],
  'ca-central-1': ['cac1-az1', 'cac1-az2', 'cac1-az4'],
  'eu-central-1': ['euc1-az1', 'euc1-az2', 'euc1-az3'],
  'eu-west-1': ['euw1-az1', 'euw1-az2', 'euw1-az3'],
  'eu-west-2': ['euw2-az1', 'euw2-az2', 'euw2-az3'],
  'eu-west-3': ['euw3-az1', 'euw3-az2', 'euw3-az3'],
  'eu-north-1': ['eun1-az1', 'eun1-az2', 'eun1-az3'],
  'ap-northeast-1': ['apne1-az1', 'apne1-az2', 'apne1-az4'],
  'ap-southeast-1': ['apse1-az1', 'apse1-az2', 'apse1-az3'],
  'ap-southeast-2': ['apse2-az1', 'apse2-az2', 'apse2-az3'],
};

/** Slot letters: stable composition keys (`subnet-private-a`), not zone names. */
const SLOTS = ['a', 'b', 'c'] as const;

/** One zone slot: the key suffix of its resources and the zone ID it is placed in. */
export interface ZoneSlot {
  slot: string;
  zoneId: string;
}

/**
 * The first `count` zones of `region`, or a Fatal naming `field` (the setting
 * that asked for `count`) when the region has fewer or is not in the table.
 */
export function zoneSlots(region: string, count: number, field: string): ZoneSlot[] {
  const ids = AVAILABILITY_ZONE_IDS[region];
  if (ids === undefined) {
    throw new FatalError(`${field}: cannot place zones in region ${region}: it is not in the zone table; add its zone IDs to AVAILABILITY_ZONE_IDS (resources/aws/zones.ts)`);
  }
  if (count > ids.length || count > SLOTS.length) {
    throw new FatalError(`${field}: cannot use ${count} zones in region ${region}: it has ${ids.length} (${ids.join(', ')}); set ${field} to at most ${Math.min(ids.length, SLOTS.length)}`);
  }
  return SLOTS.slice(0, count).map((slot, i) => ({ slot, zoneId: ids[i] as string }));
}
