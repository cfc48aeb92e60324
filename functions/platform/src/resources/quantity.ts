/** Multipliers of the Kubernetes quantity suffixes that make sense for storage. */
const SUFFIXES: Readonly<Record<string, bigint>> = {
  '': 1n,
  k: 1000n,
  M: 1000n ** 2n,
  G: 1000n ** 3n,
  T: 1000n ** 4n,
  P: 1000n ** 5n,
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
};

const QUANTITY = /^([0-9]+)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;

/**
 * Parses a whole-number Kubernetes quantity (`20Gi`, `500M`, `1073741824`) into
 * bytes. Returns undefined for anything else (fractions, exponents): callers
 * only compare sizes they or the API server wrote.
 */
export function quantityToBytes(quantity: string): bigint | undefined {
  const match = QUANTITY.exec(quantity);
  if (match === null) return undefined;
  const multiplier = SUFFIXES[match[2] ?? ''];
  return multiplier === undefined ? undefined : BigInt(match[1] ?? '0') * multiplier;
}
