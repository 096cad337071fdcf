/** enrich: name parts, age groups, email domain, URL parts, language, geo hints; options. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enrichHandler } from '../../src/pipeline/handlers/enrich-record.js';
import { parseName } from '../../src/pipeline/enrich/parse-name.js';
import { output } from './pipeline-support.js';

describe('enrich', () => {
  test('name parsing: order, comma form, honorifics, suffixes, particles', () => {
    assert.deepEqual(parseName('Dr. Jane Q. Public Jr.'), {
      prefix: 'Dr.',
      first: 'Jane',
      middle: 'Q.',
      last: 'Public',
      suffix: 'Jr.',
    });
    assert.deepEqual(parseName('Ludwig van Beethoven'), {
      prefix: null,
      first: 'Ludwig',
      middle: null,
      last: 'van Beethoven',
      suffix: null,
    });
    assert.deepEqual(parseName('Lovelace, Ada King'), {
      prefix: null,
      first: 'Ada',
      middle: 'King',
      last: 'Lovelace',
      suffix: null,
    });
    assert.deepEqual(parseName('Cher'), {
      prefix: null,
      first: 'Cher',
      middle: null,
      last: null,
      suffix: null,
    });
  });

  test('defaults enrich what the record has and leave the rest alone', async () => {
    const out = await output(
      enrichHandler,
      { ageGroup: { asOf: '2024-06-01' } },
      {
        name: 'Ada Lovelace',
        email: 'Ada@Analytical.Example.ORG',
        birthDate: '1990-06-02',
        url: 'https://shop.example.co.uk/a/b?q=1',
        text: 'Der schnelle braune Fuchs springt über den faulen Hund und läuft dann weiter in den Wald.',
      },
    );
    assert.deepEqual(out.nameParts, {
      prefix: null,
      first: 'Ada',
      middle: null,
      last: 'Lovelace',
      suffix: null,
    });
    assert.equal(out.ageGroup, '25-34', 'one day before the 34th birthday: 33');
    assert.equal(out.emailDomain, 'analytical.example.org');
    assert.deepEqual(out.urlParts, {
      host: 'shop.example.co.uk',
      domain: 'example.co.uk',
      subdomain: 'shop',
      publicSuffix: 'co.uk',
      tld: 'uk',
      path: '/a/b',
    });
    assert.equal(out.language, 'de');
    assert.deepEqual(out.geo, { country: 'GB', source: 'tld' });
    const product = await output(enrichHandler, {}, { name: 'iPhone 15 Pro 256GB', sku: 1 });
    assert.deepEqual(
      product,
      { name: 'iPhone 15 Pro 256GB', sku: 1 },
      'a product name is not a person',
    );
  });

  test('age groups from age, custom groups', async () => {
    assert.equal((await output(enrichHandler, {}, { age: 70 })).ageGroup, '65+');
    assert.equal((await output(enrichHandler, {}, { age: 15 })).ageGroup, 'teen');
    const custom = {
      ageGroup: {
        ageField: 'years',
        target: 'band',
        groups: [{ max: 29, label: 'young' }, { label: 'older' }],
      },
    };
    assert.equal((await output(enrichHandler, custom, { years: 30 })).band, 'older');
  });

  test('geo hints: country field, city (with coordinates), phone calling code, TLD; limits', async () => {
    assert.deepEqual((await output(enrichHandler, {}, { country: 'France', city: 'Tokyo' })).geo, {
      country: 'FR',
      source: 'country',
    });
    assert.deepEqual((await output(enrichHandler, {}, { city: 'Kyoto, Japan' })).geo, {
      country: 'JP',
      source: 'city',
      city: 'Kyoto',
      lat: 35.012,
      lon: 135.768,
    });
    assert.deepEqual((await output(enrichHandler, {}, { phone: '+49 30 1234567' })).geo, {
      country: 'DE',
      source: 'phone',
    });
    assert.deepEqual((await output(enrichHandler, {}, { phone: '0044 20 7946 0958' })).geo, {
      country: 'GB',
      source: 'phone',
    });
    assert.equal(
      (await output(enrichHandler, {}, { phone: '030 1234567' })).geo,
      undefined,
      'a national number has no country code',
    );
    assert.equal(
      (await output(enrichHandler, {}, { url: 'https://startup.io/' })).geo,
      undefined,
      '.io is used generically',
    );
  });

  test('language: short texts get none; ISO 639-1 mapping; features off; no overwrite unless asked', async () => {
    assert.equal((await output(enrichHandler, {}, { text: 'Bonjour' })).language, undefined);
    const fr = await output(
      enrichHandler,
      {},
      {
        text: 'Le petit chat dort tranquillement sur le canapé du salon pendant que la pluie tombe dehors.',
      },
    );
    assert.equal(fr.language, 'fr');
    // A page's declared language (extraction's metadata.language) wins over detection;
    // declaredField null always detects.
    const page = { text: fr.text, metadata: { language: 'de-AT' } };
    assert.equal((await output(enrichHandler, {}, page)).language, 'de');
    const detect = await output(enrichHandler, { language: { declaredField: null } }, page);
    assert.equal(detect.language, 'fr');
    const off = await output(
      enrichHandler,
      { language: false, url: false, geo: false },
      { text: fr.text as string, url: 'https://a.fr/' },
    );
    assert.deepEqual(Object.keys(off).sort(), ['text', 'url']);
    const kept = await output(enrichHandler, {}, { email: 'a@b.com', emailDomain: 'kept' });
    assert.equal(kept.emailDomain, 'kept');
    const over = await output(
      enrichHandler,
      { overwrite: true },
      { email: 'a@b.com', emailDomain: 'kept' },
    );
    assert.equal(over.emailDomain, 'b.com');
  });
});
