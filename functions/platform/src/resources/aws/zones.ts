import type { Problem } from '../../errors.js';

/** Availability Zone IDs per region, as `data.aws.regions` in the EnvironmentConfig lists them. */
export type RegionZones = Readonly<Record<string, { availabilityZoneIds: readonly string[] } | undefined>>;

/** Where the zone table lives, for messages. */
export const REGIONS_FIELD = 'data.aws.regions';

/** Slot letters: stable composition keys (`subnet-private-a`), not zone names. */
const SLOTS = ['a', 'b', 'c'] as const;

/** One zone slot: the key suffix of its resources and the zone ID it is placed in. */
export interface ZoneSlot {
  slot: string;
  zoneId: string;
}

/**
 * The first `count` zones of `region` from the configured table, or the
 * problem: the region (`fields.region`) is not in the table, or has fewer
 * zones than `fields.count` (the setting that asked for `count`) asks for.
 */
export function zoneSlots(regions: RegionZones | undefined, region: string, count: number, fields: { region: string; count: string }): ZoneSlot[] | Problem {
  const field = fields.count;
  const ids = regions?.[region]?.availabilityZoneIds;
  if (ids === undefined) {
    return {
      path: fields.region,
      message: `cannot place zones in region ${region}: it is not in ${REGIONS_FIELD}; add ${REGIONS_FIELD}.${region}.availabilityZoneIds (the zone IDs \`aws ec2 describe-availability-zones --region ${region}\` lists) to the base EnvironmentConfig`,
    };
  }
  if (count > ids.length || count > SLOTS.length) {
    return {
      path: field,
      message: `cannot use ${count} availability zones in region ${region}: ${REGIONS_FIELD}.${region} lists ${ids.length} (${ids.join(', ')}); set ${field} to at most ${Math.min(ids.length, SLOTS.length)}`,
    };
  }
  return SLOTS.slice(0, count).map((slot, i) => ({ slot, zoneId: ids[i] as string }));
}
