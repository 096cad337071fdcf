/** Example adapter: a point-of-interest page (a place's name, address, position, rating, price). */
import type { SiteAdapterSpec } from '../adapter-schema.js';

export const poiAdapter = {
  name: 'poi',
  match: { host: '*.places.example', urlPattern: '/place/' },
  fields: {
    name: { jsonLd: 'name', jsonLdType: 'LocalBusiness', selector: 'h1', required: true },
    street: { jsonLd: 'address.streetAddress', selector: '.address .street' },
    city: { jsonLd: 'address.addressLocality', selector: '.address .city' },
    postalCode: { jsonLd: 'address.postalCode' },
    country: { jsonLd: 'address.addressCountry' },
    geo: {
      jsonLd: 'geo',
      selector: '[data-latlon]',
      attr: 'data-latlon',
      type: 'geo',
      required: true,
    },
    rating: { jsonLd: 'aggregateRating.ratingValue', selector: '.rating', type: 'number' },
    reviews: { jsonLd: 'aggregateRating.reviewCount', type: 'integer' },
    price: { jsonLd: 'priceRange', selector: '.price-range' },
    phone: { jsonLd: 'telephone', selector: 'a[href^="tel:"]' },
    website: { selector: 'a.website', attr: 'href', type: 'url' },
  },
} satisfies SiteAdapterSpec;
