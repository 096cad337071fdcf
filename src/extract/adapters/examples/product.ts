/** Example adapter: a shop's product page marked up with microdata (no JSON-LD), read by CSS selectors. */
import type { SiteAdapterSpec } from '../adapter-schema.js';

export const productAdapter = {
  name: 'product',
  match: { host: 'shop.example', urlPattern: '/products/' },
  fields: {
    name: { selector: '[itemtype$="Product"] [itemprop=name]', required: true },
    sku: { selector: '[itemprop=sku]', attr: 'content' },
    brand: { selector: '[itemprop=brand] [itemprop=name]' },
    price: {
      selector: '[itemprop=offers] [itemprop=price]',
      attr: 'content',
      type: 'number',
      required: true,
    },
    currency: { selector: '[itemprop=priceCurrency]', attr: 'content' },
    inStock: { selector: '[itemprop=availability]', attr: 'href', type: 'boolean' },
    images: { selector: '.gallery img', attr: 'src', type: 'list' },
    rating: { selector: '[itemprop=ratingValue]', type: 'number' },
  },
} satisfies SiteAdapterSpec;
