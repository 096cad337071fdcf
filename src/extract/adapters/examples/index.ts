/** The example adapters Trawl ships, validated. */
import { defineAdapter, type SiteAdapter } from '../adapter-schema.js';
import { poiAdapter } from './poi.js';
import { productAdapter } from './product.js';
import { recipeAdapter } from './recipe.js';

/** poi, recipe and product, in that order. */
export const EXAMPLE_ADAPTERS: readonly SiteAdapter[] = [
  poiAdapter,
  recipeAdapter,
  productAdapter,
].map((a) => defineAdapter(a));
