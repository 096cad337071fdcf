import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { isTrawlError, UsageError } from '../../../src/core/errors.js';
import { createAddressGuard, parseAllowList } from '../../../src/fetch/http/address-guard.js';
import { HttpFetcher } from '../../../src/fetch/http/http-fetcher.js';
import { failure } from '../../support/expect-trawl-error.js';
import { startTestServer, type TestServer } from '../../support/http-server.js';

/** A resolver answering from a table (as dns.lookup would with `all: true`). */
function tableLookup(table: Record<string, string[]>): LookupFunction {
  return (hostname, options, callback) => {
    const answers = table[hostname];
    if (answers === undefined) {
      const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      err.code = 'ENOTFOUND';
      process.nextTick(callback, err, '');
      return;
    }
    const list = answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    if (options.all === true) process.nextTick(callback, null, list);
    else process.nextTick(callback, null, list[0]?.address ?? '', list[0]?.family);
  };
}

/** Calls guard.lookup and returns what it answered (or the error it failed with). */
function resolveWith(
  lookup: LookupFunction,
  hostname: string,
  all: boolean,
): Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[] }> {
  return new Promise((resolve) => {
    lookup(hostname, { all }, (err, address) => resolve({ err, address }));
  });
}

function refusedWith(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isTrawlError(err), `expected a TrawlError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.retryable, false);
    return true;
  };
}

/** The catalogue, plus neighbours of each range. */
const REFUSED = [
  'http://127.0.0.1/',
  'http://127.1/',
  'http://2130706433/',
  'http://0x7f000001/',
  'http://017700000001/',
  'http://0.0.0.0/',
  'http://[::]/',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:7f00:1]/',
  'http://169.254.169.254/latest/meta-data/',
  'http://100.64.0.1/',
  'http://172.31.255.255/',
  'http://10.0.0.1/',
  'http://192.168.1.1/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://240.0.0.1/',
  'http://192.0.2.1/',
  'http://[fd00::1]/',
  'http://[fd00:ec2::254]/',
  'http://[fe80::1]/',
  'http://[ff02::1]/',
  'http://[2001:db8::1]/',
  'http://[::ffff:10.0.0.1]/',
  'http://[::ffff:0:a00:1]/',
  'http://[64:ff9b::7f00:1]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[64:ff9b:1::1]/',
  'http://[2002:7f00:1::1]/',
  'http://[2002:c0a8:101::1]/',
  // Teredo: client 127.0.0.1, stored inverted.
  'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/',
  'http://[::127.0.0.1]/',
  'http://localhost/',
  'http://LocalHost.:8080/',
  'http://a.localhost/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://metadata/',
  'https://127.0.0.1/',
];

describe('address guard: checkUrl', () => {
  const guard = createAddressGuard({ allow: [] });

  for (const url of REFUSED) {
    test(`refuses ${url}`, () => {
      assert.throws(() => guard.checkUrl(url), refusedWith('blocked_address'));
    });
  }

  test('refuses schemes other than http and https', () => {
    for (const url of [
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_INFO',
      'ftp://example.com/',
    ]) {
      assert.throws(() => guard.checkUrl(url), refusedWith('unsupported_scheme'));
    }
    assert.throws(() => guard.checkUrl('not a url'), refusedWith('invalid_url'));
  });

  test('lets public addresses and names through (classification only, no connection)', () => {
    for (const url of [
      'http://8.8.8.8/',
      'https://[::ffff:8.8.8.8]/',
      'http://[64:ff9b::808:808]/',
      'http://[2002:808:808::1]/',
      'http://[2606:4700:4700::1111]/',
      'http://example.com/',
      'http://db.internal.example/',
    ]) {
      assert.doesNotThrow(() => guard.checkUrl(url), url);
    }
    assert.equal(guard.refusal('::ffff:8.8.8.8'), null);
    assert.match(guard.refusal('::ffff:10.0.0.1') ?? '', /private/);
    assert.match(guard.refusal('169.254.169.254') ?? '', /metadata/);
    assert.match(guard.refusal('fd00:ec2::254') ?? '', /metadata/);
  });
});

describe('address guard: allow list', () => {
  test('exempts CIDR ranges, addresses, names and wildcards', () => {
    const guard = createAddressGuard({
      allow: ['127.0.0.0/8', 'fd00::/8', '10.1.2.3', 'localhost', '*.internal.example'],
    });
    for (const url of [
      'http://127.0.0.1/',
      'http://127.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00::1]/',
      'http://10.1.2.3/',
      'http://localhost/',
    ]) {
      assert.doesNotThrow(() => guard.checkUrl(url), url);
    }
    assert.throws(() => guard.checkUrl('http://10.1.2.4/'), refusedWith('blocked_address'));
    assert.throws(() => guard.checkUrl('http://a.localhost/'), refusedWith('blocked_address'));
    assert.equal(guard.isAllowedAddress('127.9.9.9'), true);
    assert.equal(guard.isAllowedAddress('::ffff:127.0.0.1'), true);
    assert.equal(guard.isAllowedAddress('10.0.0.1'), false);
    assert.equal(guard.isAllowedAddress('not an address'), false);
  });

  test('a metadata address or name needs an exact entry, not a range or wildcard', () => {
    const broad = createAddressGuard({ allow: ['169.254.0.0/16', '0.0.0.0/0', '*.internal'] });
    assert.doesNotThrow(() => broad.checkUrl('http://169.254.1.1/'));
    assert.throws(() => broad.checkUrl('http://169.254.169.254/'), refusedWith('blocked_address'));
    assert.throws(
      () => broad.checkUrl('http://[::ffff:169.254.169.254]/'),
      refusedWith('blocked_address'),
    );
    assert.throws(() => broad.checkUrl('http://metadata.google.internal/'), /metadata/);
    const exact = createAddressGuard({ allow: ['169.254.169.254', 'metadata.google.internal'] });
    assert.doesNotThrow(() => exact.checkUrl('http://169.254.169.254/'));
    assert.doesNotThrow(() => exact.checkUrl('http://metadata.google.internal/'));
  });

  test('malformed entries fail with a UsageError naming them', () => {
    for (const entry of [
      '',
      '   ',
      '10.0.0.0/33',
      'fd00::/129',
      '10.0.0/8',
      '10.0.0.0/x',
      'http://10.0.0.1/',
      'foo bar',
      '*.',
      '*',
      'a*.example',
      '*.10.0.0.1',
      'a..b',
      'host:8080',
    ]) {
      assert.throws(
        () => parseAllowList([entry]),
        (err: unknown) => err instanceof UsageError && err.message.includes(JSON.stringify(entry)),
        JSON.stringify(entry),
      );
    }
    assert.throws(() => createAddressGuard({ allow: ['ok.example', '300.1.1.1/8'] }), /300\.1/);
  });
});

describe('address guard: connect-time lookup', () => {
  const lookup = tableLookup({
    'evil.test': ['127.0.0.1'],
    'mixed.test': ['8.8.8.8', '127.0.0.1'],
    'public.test': ['8.8.8.8', '2606:4700:4700::1111'],
    'mapped.test': ['::ffff:10.0.0.1'],
    'db.internal.example': ['10.0.0.5'],
    'internal.example': ['10.0.0.6'],
    'meta.internal.example': ['169.254.169.254'],
  });

  test('a name resolving to a refused address fails with blocked_address', async () => {
    const guard = createAddressGuard({ allow: [] }, { lookup });
    for (const host of ['evil.test', 'mixed.test', 'mapped.test', 'db.internal.example']) {
      for (const all of [true, false]) {
        const { err } = await resolveWith(guard.lookup, host, all);
        assert.ok(err !== null && refusedWith('blocked_address')(err), host);
      }
    }
    // Refused names are not even looked up.
    const { err } = await resolveWith(guard.lookup, 'localhost', true);
    assert.ok(err !== null && refusedWith('blocked_address')(err));
  });

  test('public answers pass in both modes; resolver errors pass unchanged', async () => {
    const guard = createAddressGuard({ allow: [] }, { lookup });
    const all = await resolveWith(guard.lookup, 'public.test', true);
    assert.equal(all.err, null);
    assert.deepEqual(all.address, [
      { address: '8.8.8.8', family: 4 },
      { address: '2606:4700:4700::1111', family: 6 },
    ]);
    const one = await resolveWith(guard.lookup, 'public.test', false);
    assert.equal(one.address, '8.8.8.8');
    const missing = await resolveWith(guard.lookup, 'nowhere.test', true);
    assert.equal(missing.err?.code, 'ENOTFOUND');
  });

  test('an allowed name may resolve to private addresses, but not to metadata', async () => {
    const guard = createAddressGuard({ allow: ['*.internal.example'] }, { lookup });
    assert.equal((await resolveWith(guard.lookup, 'db.internal.example', true)).err, null);
    // The wildcard covers subdomains only.
    const apex = await resolveWith(guard.lookup, 'internal.example', true);
    assert.equal(apex.err?.code, 'blocked_address');
    const meta = await resolveWith(guard.lookup, 'meta.internal.example', true);
    assert.match(meta.err?.message ?? '', /metadata/);
  });
});

describe('address guard: real fetches', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer((_req, res) => res.end('secret'));
  });
  after(() => server.close());

  test('every loopback spelling of the server is refused before it gets a request', async () => {
    const fetcher = new HttpFetcher({
      userAgent: 'TrawlTest/1.0',
      addressGuard: { allow: [] },
      addressLookup: tableLookup({ 'evil.test': ['127.0.0.1'] }),
    });
    try {
      for (const host of [
        '127.0.0.1',
        '127.1',
        '2130706433',
        '0x7f000001',
        '017700000001',
        '0.0.0.0',
        '[::ffff:127.0.0.1]',
        'localhost',
        'a.localhost',
        'evil.test',
      ]) {
        const url = `http://${host}:${server.port}/`;
        const err = await failure(() => fetcher.fetch(url));
        assert.equal(err.code, 'blocked_address', `${url}: ${err.message}`);
        assert.equal(err.retryable, false);
      }
      assert.equal(server.requests.length, 0);
    } finally {
      await fetcher.close();
    }
  });

  test('the allow list 127.0.0.0/8 lets a loopback fetch through', async () => {
    const fetcher = new HttpFetcher({
      userAgent: 'TrawlTest/1.0',
      addressGuard: { allow: ['127.0.0.0/8'] },
      addressLookup: tableLookup({ 'evil.test': ['127.0.0.1'] }),
    });
    try {
      for (const host of ['127.0.0.1', '127.1', 'evil.test']) {
        const res = await fetcher.fetch(`http://${host}:${server.port}/`);
        assert.equal(res.body.toString(), 'secret');
      }
    } finally {
      await fetcher.close();
    }
  });
});
