/**
 * A minimal, deterministic ustar writer and reader: enough for OCI image
 * layouts and xpkg layers, whose entries are regular files and directories.
 * Every entry gets the same mode, owner and mtime, so the same input gives the
 * same bytes (and digests) on every machine.
 */

const BLOCK = 512;

/** One entry of a tar archive. */
export interface TarEntry {
  /** Path inside the archive; directories end with "/". */
  name: string;
  /** File content; omitted for directories. */
  data?: Buffer;
}

function writeString(header: Buffer, text: string, offset: number, length: number): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > length) throw new Error(`tar: "${text}" does not fit in ${length} bytes`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  writeString(header, `${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
}

function header(entry: TarEntry): Buffer {
  const directory = entry.name.endsWith('/');
  const h = Buffer.alloc(BLOCK);
  let name = entry.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  writeString(h, name, 0, 100);
  writeOctal(h, directory ? 0o755 : 0o644, 100, 8);
  writeOctal(h, 0, 108, 8); // uid
  writeOctal(h, 0, 116, 8); // gid
  writeOctal(h, directory ? 0 : (entry.data?.length ?? 0), 124, 12);
  writeOctal(h, 0, 136, 12); // mtime: the epoch, for reproducible digests
  h.fill(' ', 148, 156); // checksum is computed with its own field as spaces
  writeString(h, directory ? '5' : '0', 156, 1);
  writeString(h, 'ustar\0', 257, 6);
  writeString(h, '00', 263, 2);
  writeString(h, prefix, 345, 155);
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/** Writes entries, in the order given, as one tar archive. */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry));
    if (entry.name.endsWith('/') || entry.data === undefined) continue;
    parts.push(entry.data);
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (padding > 0) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function readString(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** Reads a tar archive (ustar, regular files and directories) into its entries, in order. */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const stored = parseInt(readString(block, 148, 8).trim(), 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
    if (sum !== stored) throw new Error(`tar: bad header checksum at offset ${offset}`);
    const prefix = readString(block, 345, 155);
    const name = (prefix === '' ? '' : `${prefix}/`) + readString(block, 0, 100);
    const size = parseInt(readString(block, 124, 12).trim() || '0', 8);
    const type = readString(block, 156, 1);
    offset += BLOCK;
    if (type === '5') entries.push({ name });
    else entries.push({ name, data: Buffer.from(archive.subarray(offset, offset + size)) });
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
