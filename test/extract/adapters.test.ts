/** Site adapters: validation errors name the field; matching; typed values; the shipped examples. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineAdapter, extractFields } from '../../src/extract/extract-fields.js';
import { EXAMPLE_ADAPTERS } from '../../src/extract/adapters/examples/index.js';
import { readPage } from './fixture-pages.js';

test('invalid adapters fail with the adapter and field named', () => {
  assert.throws(
    () =>
      defineAdapter({
        name: 'poi',
        match: { host: 'x' },
        fields: { rating: { selector: '.r', type: 'float' } },
      }),
    /adapter "poi": fields\.rating\.type: /,
  );
  assert.throws(
    () => defineAdapter({ name: 'a', match: { host: 'x' }, fields: { f: { attr: 'href' } } }),
    /fields\.f: needs a selector or a jsonLd path/,
  );
  assert.throws(
    () => defineAdapter({ name: 'a', match: { urlPattern: '(' }, fields: {} }),
    /match\.urlPattern: not a valid regular expression/,
  );
  assert.throws(
    () => defineAdapter({ name: 'a', match: {}, fields: {} }),
    /match: needs host or urlPattern/,
  );
  assert.throws(
    () => defineAdapter({ match: { host: 'x' }, fields: {} }),
    /adapter "\(unnamed\)": name: /,
  );
  assert.throws(
    () =>
      defineAdapter({ name: 'a', match: { host: 'x' }, fields: { f: { selector: 'p', typo: 1 } } }),
    /fields\.f: /,
  );
});

test('matching: host glob and URL pattern; first match wins; no match is null', () => {
  const a = defineAdapter({
    name: 'a',
    match: { host: '*.ex.test' },
    fields: { t: { selector: 'h1' } },
  });
  const b = defineAdapter({
    name: 'b',
    match: { urlPattern: '/items/\\d+$' },
    fields: { n: { selector: 'p', type: 'integer', required: true } },
  });
  const run = (url: string) =>
    extractFields('<h1>Title</h1><p>1,234 units</p>', url, { formats: [], adapters: [a, b] }).data;
  assert.deepEqual(run('https://www.ex.test/'), { adapter: 'a', fields: { t: 'Title' } });
  assert.deepEqual(run('https://other.test/items/7'), { adapter: 'b', fields: { n: 1234 } });
  assert.equal(run('https://ex.test/'), null);
  const missing = extractFields('<h1>x</h1>', 'https://o.test/items/1', {
    formats: [],
    adapters: [b],
  }).data;
  assert.deepEqual(missing, { adapter: 'b', fields: {}, missing: ['n'] });
});

test('the example adapters on their fixture pages', () => {
  const pages = [
    [
      'poi',
      'https://www.places.example/place/cafe-lumiere',
      {
        name: 'Café Lumière',
        geo: { lat: 45.7578, lon: 4.832 },
        rating: 4.4,
        reviews: 318,
        price: '€€',
      },
    ],
    [
      'recipe',
      'https://cuisine.example/recipes/crepes-au-sucre',
      { name: 'Crêpes au sucre', servings: 12, calories: 95, rating: 4.7 },
    ],
    [
      'product',
      'https://shop.example/products/trail-runner-3',
      { name: 'Trail Runner 3', price: 129.9, currency: 'USD', inStock: true, rating: 4.6 },
    ],
  ] as const;
  for (const [name, url, want] of pages) {
    const data = extractFields(readPage(name), url, {
      formats: [],
      adapters: EXAMPLE_ADAPTERS,
    }).data;
    assert.equal(data?.adapter, name);
    assert.equal(data?.missing, undefined);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(data?.fields[k], v, `${name}.${k}`);
  }
  // The recipe's ingredients come from JSON-LD; the poi falls back to its data-latlon attribute.
  const noLd = readPage('poi').replace(
    /<script type="application\/ld\+json">[\s\S]*?<\/script>/,
    '',
  );
  const poi = extractFields(noLd, 'https://www.places.example/place/x', {
    formats: [],
    adapters: EXAMPLE_ADAPTERS,
  }).data;
  assert.deepEqual(poi?.fields.geo, { lat: 45.7578, lon: 4.832 });
  assert.equal(poi?.fields.name, 'Café Lumière');
  assert.equal(poi?.fields.rating, 4.4);
});
