import { z } from 'zod';

/**
 * PostgreSQL identifiers this package creates: lowercase letters, digits and
 * "_", not starting with a digit. Unquoted identifiers fold to lowercase, so
 * refusing capitals means a name reads the same in psql as in the manifest;
 * "$" is left out because clients treat it specially. ASCII only, so 63
 * characters are 63 bytes (PostgreSQL's NAMEDATALEN - 1).
 */
export const PG_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
export const MAX_PG_IDENTIFIER = 63;

/**
 * Extensions a project may create: trusted, widely used ones that RDS
 * PostgreSQL 14+ ships. Anything else needs a platform review first.
 */
export const ALLOWED_EXTENSIONS = [
  'btree_gin',
  'btree_gist',
  'citext',
  'hstore',
  'ltree',
  'pg_stat_statements',
  'pg_trgm',
  'pgcrypto',
  'postgis',
  'tablefunc',
  'unaccent',
  'uuid-ossp',
  'vector',
] as const;

/** An allow-listed extension name. */
export type AllowedExtension = (typeof ALLOWED_EXTENSIONS)[number];

/**
 * Database spec: the one definition behind the XRD (`npm run generate`) and
 * the function's validation of every request.
 */
export const databaseSpecSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(MAX_PG_IDENTIFIER)
      .regex(PG_IDENTIFIER, { message: 'must be a PostgreSQL identifier: lowercase letters, digits and "_", not starting with a digit' })
      .optional()
      .describe('Database and login role name; defaults to <namespace>_<metadata.name> with "-" and "." as "_". Must start with <namespace>_.'),
    extensions: z
      .array(z.enum(ALLOWED_EXTENSIONS))
      .max(ALLOWED_EXTENSIONS.length)
      .default([])
      .describe('Extensions to create in the database, from the platform allow-list.'),
    connectionLimit: z
      .number()
      .int()
      .min(1)
      .max(500)
      .default(20)
      .describe('Most connections the role may hold at once on the shared instance.'),
    deletionPolicy: z
      .enum(['Retain', 'Delete'])
      .default('Retain')
      .describe('Retain: deleting the Database keeps the database, role and password. Delete: drops them.'),
  })
  .strict()
  .describe('A PostgreSQL database and login role in the environment shared instance, with credentials through External Secrets.');

/** Database spec after defaults. */
export type DatabaseSpec = z.output<typeof databaseSpecSchema>;

/** Database status, written by the function. */
export const databaseStatusSchema = z
  .object({
    host: z.string().optional().describe('Host name of the shared PostgreSQL instance.'),
    port: z.number().int().optional().describe('Port of the shared PostgreSQL instance.'),
    database: z.string().optional().describe('Name of the database.'),
    username: z.string().optional().describe('Login role of the database.'),
    secretName: z.string().optional().describe('Secret in this namespace with host, port, database, username, password and url.'),
  })
  .strict();
