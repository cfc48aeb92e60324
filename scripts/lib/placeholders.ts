/**
 * Placeholder values in shipped YAML: a value a user must replace carries an
 * end-of-line comment `# placeholder: <what to put there>` (the package's
 * convention; README, "Validating"). This finds
 * them by line and names the YAML path of the value each marks.
 *
 * On a line with several values (a flow mapping such as
 * `network: { accountId: "444444444444", providerConfigName: aws-network }`)
 * the marker belongs to the first scalar or flow list value on the line; a
 * flow list (`egressCidrs: [...]`) is marked as a whole.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';

/** One marked value. */
export interface Placeholder {
  /** 1-based line of the marker. */
  line: number;
  /** Field path in the document, e.g. `data.aws.accountId`. */
  path: string;
  /** The value as written (a list as JSON). */
  value: string;
  /** What to put there: the marker's text after `placeholder:`. */
  hint: string;
  /** The document's kind and metadata.name, for messages. */
  resource: string;
  /** The document's kind. */
  kind: string;
  /** The path as keys and indexes, to look the same field up in another manifest. */
  segments: Array<string | number>;
  /** The value as JSON, to compare with another manifest's. */
  json: string;
}

/** A marker on a line that holds no value, which validate reports so the marker gets fixed. */
export interface StrayMarker {
  line: number;
  hint: string;
}

/** An end-of-line comment `# placeholder: ...` after some content (a `#` after whitespace starts a YAML comment). */
const MARKER = /^(\s*\S.*?)\s#\s*placeholder:\s*(.*?)\s*$/;

/** Marker lines of `text`: 1-based line number to hint. */
export function markerLines(text: string): Map<number, string> {
  const lines = new Map<number, string>();
  text.split('\n').forEach((line, index) => {
    const match = MARKER.exec(line);
    if (match !== null && !(match[1] ?? '').trimStart().startsWith('#')) lines.set(index + 1, match[2] ?? '');
  });
  return lines;
}

function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const segment = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return parent === '' ? segment : `${parent}.${segment}`;
}

function resourceOf(doc: Document): { resource: string; kind: string } {
  const value: unknown = doc.toJS();
  if (typeof value !== 'object' || value === null) return { resource: 'document', kind: '?' };
  const manifest = value as { kind?: unknown; metadata?: { name?: unknown } };
  return { resource: `${String(manifest.kind ?? '?')} ${String(manifest.metadata?.name ?? '?')}`, kind: String(manifest.kind ?? '?') };
}

/** The value at `segments` in `value`, as JSON; undefined when the path is absent. */
export function jsonAt(value: unknown, segments: ReadonlyArray<string | number>): string | undefined {
  let node = value;
  for (const segment of segments) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node === undefined ? undefined : JSON.stringify(node);
}

/** Every marked value of `text`, and markers that mark nothing. Documents that do not parse are skipped (validate reports them). */
export function findPlaceholders(text: string): { placeholders: Placeholder[]; stray: StrayMarker[] } {
  const markers = markerLines(text);
  if (markers.size === 0) return { placeholders: [], stray: [] };
  const counter = new LineCounter();
  const placeholders: Placeholder[] = [];
  const claimed = new Set<number>();
  let unparsed = false;
  for (const doc of parseAllDocuments(text, { lineCounter: counter })) {
    if (doc.errors.length > 0) {
      unparsed = true;
      continue;
    }
    const { resource, kind } = resourceOf(doc);
    const lineOf = (node: { range?: readonly number[] | null }): number | undefined =>
      node.range === undefined || node.range === null || node.range[0] === undefined ? undefined : counter.linePos(node.range[0]).line;
    const claim = (node: unknown, path: string, segments: Array<string | number>): void => {
      // A block list starts at its first item's line: that marker is the item's.
      if (!isScalar(node) && !(isSeq(node) && node.flow === true)) return;
      const line = lineOf(node);
      if (line === undefined || !markers.has(line) || claimed.has(line)) return;
      claimed.add(line);
      const value = isScalar(node) ? String(node.value) : JSON.stringify(node.toJSON());
      placeholders.push({ line, path, value, hint: markers.get(line) ?? '', resource, kind, segments, json: JSON.stringify(node.toJSON()) });
    };
    const walk = (node: unknown, path: string, segments: Array<string | number>): void => {
      if (isMap(node)) {
        for (const pair of node.items) {
          const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
          const child = pathOf(path, key);
          claim(pair.value, child, [...segments, key]);
          walk(pair.value, child, [...segments, key]);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => {
          claim(item, pathOf(path, index), [...segments, index]);
          walk(item, pathOf(path, index), [...segments, index]);
        });
      }
    };
    walk(doc.contents, '', []);
  }
  // A marker inside a document that does not parse is that document's problem, reported as such.
  const stray = unparsed ? [] : [...markers].filter(([line]) => !claimed.has(line)).map(([line, hint]) => ({ line, hint }));
  return { placeholders, stray };
}
