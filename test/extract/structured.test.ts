/** JSON-LD, microdata and RDFa-lite extraction, and metadata fallbacks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractFields } from '../../src/extract/extract-fields.js';

const PAGE = 'https://site.example/a/b.html';
const structured = (html: string) =>
  extractFields(html, PAGE, { formats: ['structured'] }).structured;
const metadata = (html: string) => extractFields(html, PAGE, { formats: ['metadata'] }).metadata;

test('JSON-LD: every block, @graph flattened with its context, lenient parse, errors counted', () => {
  const s = structured(
    '<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"A"},{"@type":"B","x":[1,2,],}]}</script>' +
      '<script type="application/ld+json">[{"@type":"C"}]</script>' +
      '<script type="application/ld+json"><!-- {"@type":"D","t":"line\nbreak"} --></script>' +
      '<script type="application/ld+json">{nope</script><script type="application/ld+json">  </script>' +
      '<script type="text/javascript">{"@type":"NotLd"}</script>',
  );
  assert.deepEqual(s?.jsonLd, [
    { '@context': 'https://schema.org', '@type': 'A' },
    { '@context': 'https://schema.org', '@type': 'B', x: [1, 2] },
    { '@type': 'C' },
    { '@type': 'D', t: 'line break' },
  ]);
  assert.equal(s?.jsonLdErrors, 1);
});

test('microdata: values per element, nested items, itemref, itemid, cycles', () => {
  const s = structured(`
    <div itemscope itemtype="https://schema.org/Event" itemid="urn:e1" itemref="where">
      <a itemprop="url" href="/e/1">Event</a>
      <span itemprop="name alternateName"> Concert   night </span>
      <time itemprop="startDate" datetime="2024-06-01T20:00">June 1</time>
      <img itemprop="image" src="../i.png"><data itemprop="seats" value="300">three hundred</data>
      <meta itemprop="isFree" content="false">
      <div itemprop="performer" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Ana</span></div>
    </div>
    <p id="where" itemprop="location" itemscope itemtype="https://schema.org/Place"><span itemprop="name">Hall</span></p>
    <div id="loop" itemscope itemref="loop2"><span id="loop2" itemprop="self" itemscope itemref="loop"></span></div>`);
  assert.deepEqual(s?.microdata[0], {
    type: ['https://schema.org/Event'],
    id: 'urn:e1',
    properties: {
      url: ['https://site.example/e/1'],
      name: ['Concert night'],
      alternateName: ['Concert night'],
      startDate: ['2024-06-01T20:00'],
      image: ['https://site.example/i.png'],
      seats: ['300'],
      isFree: ['false'],
      performer: [{ type: ['https://schema.org/Person'], properties: { name: ['Ana'] } }],
      location: [{ type: ['https://schema.org/Place'], properties: { name: ['Hall'] } }],
    },
  });
  // The itemref loop terminates; the item is not its own property.
  assert.equal(s?.microdata.length, 2);
  JSON.stringify(s);
});

test('RDFa lite: vocab, typeof, property, nested typeof, resource', () => {
  const s = structured(`<div vocab="https://schema.org/" typeof="Person" resource="#me">
      <span property="name">Ada</span><a property="sameAs" href="https://ada.example/">site</a>
      <div property="address" typeof="PostalAddress"><span property="addressLocality">London</span></div>
      <span property="jobTitle" content="Mathematician">maths</span></div>`);
  assert.deepEqual(s?.rdfa, [
    {
      type: ['https://schema.org/Person'],
      id: 'https://site.example/a/b.html#me',
      properties: {
        name: ['Ada'],
        sameAs: ['https://ada.example/'],
        address: [
          {
            type: ['https://schema.org/PostalAddress'],
            properties: { addressLocality: ['London'] },
          },
        ],
        jobTitle: ['Mathematician'],
      },
    },
  ]);
});

test('metadata fallbacks: og title, content-language, favicon default, JSON-LD dates and author, <time> in article', () => {
  const m =
    metadata(`<head><meta property="og:title" content="OG T"><meta http-equiv="Content-Language" content="de-AT, en">
    <meta property="og:description" content="OG D"><link rel="canonical" href="../c">
    <script type="application/ld+json">{"@type":"Article","dateModified":"2024-02-02","author":"Kim"}</script></head>
    <body><article><time datetime="2024-01-01">Jan 1</time></article></body>`);
  assert.equal(m?.title, 'OG T');
  assert.equal(m?.description, 'OG D');
  assert.equal(m?.language, 'de-AT');
  assert.equal(m?.canonical, 'https://site.example/c');
  assert.equal(m?.favicon, 'https://site.example/favicon.ico');
  assert.equal(m?.publishedTime, '2024-01-01');
  assert.equal(m?.modifiedTime, '2024-02-02');
  assert.equal(m?.author, 'Kim');
});

test('links: every <a href>, absolute, text fallbacks, rel; javascript: left out', () => {
  const r = extractFields(
    '<base href="/base/"><a href="x">X</a><a href="x">X again</a><a href="/y" rel="nofollow"><img alt="Y img"></a><a href="javascript:void 0">J</a><a href="#top" title="Top"></a>',
    PAGE,
    { formats: ['links'] },
  );
  assert.deepEqual(r.links, [
    { url: 'https://site.example/base/x', text: 'X', rel: null },
    { url: 'https://site.example/base/x', text: 'X again', rel: null },
    { url: 'https://site.example/y', text: 'Y img', rel: 'nofollow' },
    { url: 'https://site.example/base/#top', text: 'Top', rel: null },
  ]);
});
