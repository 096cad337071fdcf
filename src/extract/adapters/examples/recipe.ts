/** Example adapter: a recipe page, read from its JSON-LD `Recipe` (often inside `@graph`). */
import type { SiteAdapterSpec } from '../adapter-schema.js';

export const recipeAdapter = {
  name: 'recipe',
  match: { urlPattern: '^https?://[^/]+/recipes/' },
  fields: {
    name: { jsonLd: 'name', jsonLdType: 'Recipe', selector: 'h1', required: true },
    image: { jsonLd: 'image', jsonLdType: 'Recipe', type: 'url' },
    author: { jsonLd: 'author.name', jsonLdType: 'Recipe' },
    totalTime: { jsonLd: 'totalTime', jsonLdType: 'Recipe' },
    servings: { jsonLd: 'recipeYield', jsonLdType: 'Recipe', type: 'integer' },
    calories: { jsonLd: 'nutrition.calories', jsonLdType: 'Recipe', type: 'number' },
    ingredients: {
      jsonLd: 'recipeIngredient',
      jsonLdType: 'Recipe',
      selector: '.ingredients li',
      type: 'list',
      required: true,
    },
    rating: { jsonLd: 'aggregateRating.ratingValue', jsonLdType: 'Recipe', type: 'number' },
    published: { jsonLd: 'datePublished', jsonLdType: 'Recipe', type: 'date' },
  },
} satisfies SiteAdapterSpec;
