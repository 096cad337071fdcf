/** validate: every rule kind, all failures listed at once, onInvalid, and option errors. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildChain } from '../../src/pipeline/chain.js';
import { validateHandler } from '../../src/pipeline/handlers/validate-record.js';
import { runOne } from './pipeline-support.js';

const options = {
  required: ['name', 'email'],
  fields: {
    email: { type: 'email' },
    website: { type: 'url' },
    phone: { type: 'phone' },
    age: { type: 'integer', min: 0, max: 130 },
    score: { type: 'number', max: 1 },
    name: { type: 'string', min: 2, max: 40 },
    code: { type: 'string', pattern: '^[A-Z]{3}$' },
    born: { type: 'date' },
    tags: { type: 'array', min: 1 },
    meta: { type: 'object' },
    active: { type: 'boolean' },
    plan: { enum: ['free', 'pro'] },
    'address.city': { required: true, type: 'string' },
  },
  rules: [
    {
      name: 'adult-for-pro',
      when: 'plan == "pro"',
      assert: 'age >= 18',
      message: 'pro plans need an adult',
    },
    { name: 'end-after-start', assert: { field: 'end', op: 'gt', ref: 'start' } },
    {
      assert: {
        any: [
          { field: 'email', op: 'endsWith', value: '.com' },
          { field: 'email', op: 'endsWith', value: '.org' },
        ],
      },
    },
  ],
};

const valid = {
  name: 'Ada',
  email: 'ada@example.com',
  website: 'https://example.com/ada',
  phone: '+44 (20) 7946-0958',
  age: 36,
  score: 0.5,
  code: 'ABC',
  born: '1815-12-10',
  tags: ['math'],
  meta: {},
  active: true,
  plan: 'pro',
  address: { city: 'London' },
  start: 1,
  end: 2,
};

describe('validate', () => {
  test('a valid record passes unchanged', async () => {
    const [r] = await runOne(validateHandler, options, valid);
    assert.deepEqual([r!.ok, r!.item], [true, valid]);
  });

  test('every failing field is listed in one validation_failed error', async () => {
    const bad = {
      ...valid,
      email: 'not-an-email',
      website: 'ftp://x',
      phone: '12',
      age: 12.5,
      score: 2,
      name: 'A',
      code: 'abc',
      born: '31/02/2020',
      tags: [],
      meta: [],
      active: 'yes',
      plan: 'gold',
      address: {},
      end: 0,
    };
    const [r] = await runOne(validateHandler, options, bad);
    assert.equal(r!.ok, false);
    const err = r!.errors[0]!;
    assert.equal(err.code, 'validation_failed');
    const failures = (err.details as { failures: { field: string; rule: string }[] }).failures;
    assert.deepEqual(
      failures.map((f) => `${f.field}:${f.rule}`).sort(),
      [
        'email:type',
        'website:type',
        'phone:type',
        'age:type',
        'score:max',
        'name:min',
        'code:pattern',
        'born:type',
        'tags:min',
        'meta:type',
        'active:type',
        'plan:enum',
        'address.city:required',
        'end:end-after-start',
        'rules.2:rules.2',
      ].sort(),
    );
    assert.match(err.message, /^15 checks failed: /);
  });

  test('required fields, a conditional rule and custom messages', async () => {
    const [missing, kid] = await runOne(validateHandler, options, {}, { ...valid, age: 12 });
    const fields = (missing!.errors[0]!.details as { failures: { field: string }[] }).failures.map(
      (f) => f.field,
    );
    assert.ok(
      fields.includes('name') && fields.includes('email') && fields.includes('address.city'),
    );
    assert.equal(
      fields.filter((f) => f === 'name').length,
      1,
      'a missing required field is reported once',
    );
    assert.match(kid!.errors[0]!.message, /age pro plans need an adult/);
  });

  test('onInvalid drop and warn', async () => {
    const [dropped] = await runOne(validateHandler, { required: ['id'], onInvalid: 'drop' }, {});
    assert.deepEqual([dropped!.ok, dropped!.item, dropped!.dropped?.by], [true, null, 'validate']);
    const [warned] = await runOne(
      validateHandler,
      { required: ['id'], onInvalid: 'warn' },
      { a: 1 },
    );
    assert.deepEqual([warned!.ok, warned!.item], [true, { a: 1 }]);
    assert.match(warned!.warnings[0]!, /^validate: 1 check failed: id is required/);
  });

  test('no rules: everything passes (the standard chain default)', async () => {
    const [r] = await runOne(validateHandler, {}, { anything: [1, 2] });
    assert.equal(r!.ok, true);
  });

  test('bad options name the field', async () => {
    await assert.rejects(
      buildChain([{ handler: validateHandler, options: { fields: { a: { type: 'uuid' } } } }]),
      /steps\[0\] \(validate\)\.options\.fields\.a\.type: /,
    );
    await assert.rejects(
      buildChain([{ handler: validateHandler, options: { fields: { a: { pattern: '(' } } } }]),
      /options\.fields\.a\.pattern: not a valid regular expression/,
    );
    await assert.rejects(
      buildChain([{ handler: validateHandler, options: { rules: [{ assert: 'age ?? 3' }] } }]),
      /options\.rules\.0\.assert: cannot read condition "age \?\? 3"/,
    );
  });
});
