import { z } from 'zod';
import { platformConfigSchema } from '../../environment-config/platform-config.js';
import { ADDON_FEATURES } from './addons/index.js';

/** `data.features`: exactly the flags the add-ons declare, each with its default. */
const featuresSchema = z
  .object(Object.fromEntries(Object.entries(ADDON_FEATURES).map(([name, feature]) => [name, z.boolean().default(feature.default).describe(feature.description)])))
  .strict()
  .prefault({});

/**
 * The merged platform EnvironmentConfig an Environment composes from: the
 * shared schema, with `data.features` derived from the add-on list (an unknown
 * flag is refused, naming the EnvironmentConfig that set it).
 */
export const environmentConfigSchema = platformConfigSchema.extend({ features: featuresSchema });
