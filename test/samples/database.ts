/** Database specs the zod schema and the generated XRD must judge alike (some valid, some not). */
export default [
  {},
  { name: 'forge_api_main', extensions: ['pgcrypto', 'uuid-ossp'], connectionLimit: 50, deletionPolicy: 'Delete' },
  // A name outside the namespace prefix or a repeated extension is valid to both schemas; the composer refuses it.
  { name: 'other_db', extensions: ['citext', 'citext'] },
  { name: 'Forge_API' },
  { name: '1db' },
  { name: 'forge-api' },
  { name: 'a'.repeat(64) },
  { name: '' },
  { extensions: ['plpython3u'] },
  { extensions: 'pgcrypto' },
  { connectionLimit: 0 },
  { connectionLimit: 501 },
  { connectionLimit: 2.5 },
  { deletionPolicy: 'Orphan' },
  { deletionPolicy: 'retain' },
  { extra: true },
];
