/** transform: each operation, ordering, mapping, pick/omit, failures and onInvalid. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { transformHandler } from '../../src/pipeline/handlers/transform-fields.js';
import { parseNumber } from '../../src/pipeline/values/parse-number.js';
import { output, runOne } from './pipeline-support.js';

describe('transform', () => {
  test('string operations', async () => {
    const out = await output(
      transformHandler,
      {
        fields: [
          { field: 'a', op: 'strip' },
          { field: 'b', op: 'collapse' },
          { field: ['c', 'nested.d'], op: 'title' },
          { field: 'e', op: 'upper' },
          { field: 'f', op: 'lower' },
        ],
      },
      {
        a: '  x  ',
        b: ' one \n two\t three ',
        c: "jean-luc o'NEIL",
        nested: { d: 'ÉMILE zola' },
        e: 'abc',
        f: 'ABC',
      },
    );
    assert.deepEqual(out, {
      a: 'x',
      b: 'one two three',
      c: "Jean-Luc O'Neil",
      nested: { d: 'Émile Zola' },
      e: 'ABC',
      f: 'abc',
    });
  });

  test('numbers: locale-tolerant to-number, to-integer and rounding', async () => {
    const out = await output(
      transformHandler,
      {
        fields: [
          {
            field: ['en', 'de', 'fr', 'ch', 'eur', 'usd', 'plain', 'num', 'pct', 'neg'],
            op: 'to-number',
          },
          { field: 'comma', op: 'to-number', decimal: ',' },
          { field: 'int', op: 'to-integer' },
          { field: 'price', op: 'round', digits: 2 },
          { field: 'whole', op: 'round' },
        ],
      },
      {
        en: '1,234.5',
        de: '1.234,5',
        fr: '1 234,5',
        ch: "1'234.50",
        eur: '€12.50',
        usd: 'USD 1,200',
        plain: '42',
        num: 7,
        pct: '12 %',
        neg: '-0.5',
        comma: '1,234',
        int: '3.99',
        price: 1.005,
        whole: 2.5,
      },
    );
    assert.deepEqual(out, {
      en: 1234.5,
      de: 1234.5,
      fr: 1234.5,
      ch: 1234.5,
      eur: 12.5,
      usd: 1200,
      plain: 42,
      num: 7,
      pct: 12,
      neg: -0.5,
      comma: 1.234,
      int: 3,
      price: 1.01,
      whole: 3,
    });
    for (const bad of ['abc', '1,2,3', '12 kg', '', '1.2.3,4,5', true])
      assert.equal(parseNumber(bad), undefined, String(bad));
  });

  test('parse-date to ISO 8601', async () => {
    const out = await output(
      transformHandler,
      {
        fields: [
          {
            field: ['iso', 'dt', 'offset', 'eu', 'us', 'long', 'month', 'rfc', 'epoch', 'amb'],
            op: 'parse-date',
          },
          { field: 'amb2', op: 'parse-date', dayFirst: false },
          { field: 'forced', op: 'parse-date', output: 'date' },
        ],
      },
      {
        iso: '2024-03-12',
        dt: '2024-03-12T10:20:30Z',
        offset: '2024-03-12T10:20:30+02:00',
        eu: '25/12/2023',
        us: '12/25/2023',
        long: '12 March 2024',
        month: 'Mar 12, 2024',
        rfc: 'Tue, 12 Mar 2024 10:00:00 GMT',
        epoch: 1710238830000,
        amb: '03/04/2024',
        amb2: '03/04/2024',
        forced: '2024-03-12T23:00:00Z',
      },
    );
    assert.deepEqual(out, {
      iso: '2024-03-12',
      dt: '2024-03-12T10:20:30.000Z',
      offset: '2024-03-12T08:20:30.000Z',
      eu: '2023-12-25',
      us: '2023-12-25',
      long: '2024-03-12',
      month: '2024-03-12',
      rfc: '2024-03-12T10:00:00.000Z',
      epoch: '2024-03-12T10:20:30.000Z',
      amb: '2024-04-03',
      amb2: '2024-03-04',
      forced: '2024-03-12',
    });
  });

  test('default, rename, mapping, pick and omit, in that order', async () => {
    const out = await output(
      transformHandler,
      {
        fields: [
          { field: ['country', 'tier'], op: 'default', value: 'unknown' },
          { field: 'fname', op: 'rename', to: 'person.first' },
        ],
        mapping: { lname: 'person.last' },
        pick: ['person', 'country', 'tier', 'secret', 'missing'],
        omit: ['secret'],
      },
      { fname: 'Ada', lname: 'Lovelace', tier: null, secret: 'x', other: 1 },
    );
    assert.deepEqual(out, {
      person: { first: 'Ada', last: 'Lovelace' },
      country: 'unknown',
      tier: 'unknown',
    });
  });

  test('an unconvertible value fails with transform_failed listing the fields; onInvalid keep/null', async () => {
    const input = { a: 'abc', b: 'n/a', c: 'later', d: 'x' };
    const [r] = await runOne(
      transformHandler,
      {
        fields: [
          { field: 'a', op: 'to-number' },
          { field: 'c', op: 'parse-date' },
          { field: 'b', op: 'to-number', onInvalid: 'null' },
          { field: 'd', op: 'to-number', onInvalid: 'keep' },
          { field: 'missing', op: 'to-number' },
        ],
      },
      input,
    );
    assert.equal(r!.errors[0]!.code, 'transform_failed');
    const failures = (r!.errors[0]!.details as { failures: { field: string; op: string }[] })
      .failures;
    assert.deepEqual(
      failures.map((f) => `${f.field}:${f.op}`),
      ['a:to-number', 'c:parse-date'],
    );
    assert.deepEqual(r!.item, input, 'a failed transform leaves the item as it was');
    const ok = await output(
      transformHandler,
      {
        fields: [
          { field: 'b', op: 'to-number', onInvalid: 'null' },
          { field: 'd', op: 'upper', onInvalid: 'keep' },
        ],
      },
      { b: 'n/a', d: 5 },
    );
    assert.deepEqual(ok, { b: null, d: 5 });
  });
});
