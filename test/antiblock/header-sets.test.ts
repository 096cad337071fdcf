/**
 * Browser header sets: every draw internally consistent (UA ↔ client hints ↔ platform),
 * in the browser's order, never offering zstd; `--user-agent` wins; and the order
 * survives undici onto the wire.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import {
  BROWSER_NAMES,
  createHeaderSet,
  headerArray,
} from '../../src/antiblock/headers/header-sets.js';
import type { BrowserName, HeaderSet } from '../../src/antiblock/headers/header-sets.js';
import { listen, shut } from '../support/loopback-server.js';

/** mulberry32: a small seeded PRNG, so every run draws the same sets. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The orders as captured from the browsers, written out here independently of the table. */
const EXPECTED_ORDER: Record<BrowserName, string[]> = {
  chrome: [
    'sec-ch-ua',
    'sec-ch-ua-mobile',
    'sec-ch-ua-platform',
    'Upgrade-Insecure-Requests',
    'User-Agent',
    'Accept',
    'Sec-Fetch-Site',
    'Sec-Fetch-Mode',
    'Sec-Fetch-User',
    'Sec-Fetch-Dest',
    'Accept-Encoding',
    'Accept-Language',
  ],
  edge: [
    'sec-ch-ua',
    'sec-ch-ua-mobile',
    'sec-ch-ua-platform',
    'Upgrade-Insecure-Requests',
    'User-Agent',
    'Accept',
    'Sec-Fetch-Site',
    'Sec-Fetch-Mode',
    'Sec-Fetch-User',
    'Sec-Fetch-Dest',
    'Accept-Encoding',
    'Accept-Language',
  ],
  firefox: [
    'User-Agent',
    'Accept',
    'Accept-Language',
    'Accept-Encoding',
    'Upgrade-Insecure-Requests',
    'Sec-Fetch-Dest',
    'Sec-Fetch-Mode',
    'Sec-Fetch-Site',
    'Sec-Fetch-User',
    'Priority',
  ],
  safari: [
    'Sec-Fetch-Dest',
    'User-Agent',
    'Accept',
    'Sec-Fetch-Site',
    'Sec-Fetch-Mode',
    'Accept-Language',
    'Accept-Encoding',
  ],
};

/** Majors a drawn set may claim (Chromium ~150-156 as the table has them, with slack). */
const VERSION_RANGE: Record<BrowserName, readonly [number, number]> = {
  chrome: [145, 165],
  edge: [145, 165],
  firefox: [145, 170],
  safari: [26, 28],
};

function header(set: HeaderSet, name: string): string | undefined {
  return set.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** What the UA string alone says, read independently of the module's own parser. */
function readUa(ua: string): { browser: BrowserName; major: number; os: string } {
  const os = /Windows NT/.test(ua) ? 'Windows' : /Macintosh/.test(ua) ? 'macOS' : 'Linux';
  const edge = /Edg\/(\d+)\.0\.0\.0$/.exec(ua);
  if (edge) return { browser: 'edge', major: Number(edge[1]), os };
  const chrome = /Chrome\/(\d+)\.0\.0\.0 Safari\/537\.36$/.exec(ua);
  if (chrome) return { browser: 'chrome', major: Number(chrome[1]), os };
  const firefox = /rv:(\d+)\.0\) Gecko\/20100101 Firefox\/(\d+)\.0$/.exec(ua);
  if (firefox) {
    assert.equal(firefox[1], firefox[2], ua);
    return { browser: 'firefox', major: Number(firefox[2]), os };
  }
  const safari =
    /AppleWebKit\/605\.1\.15 \(KHTML, like Gecko\) Version\/(\d+)\.\d+ Safari\/605\.1\.15$/.exec(
      ua,
    );
  if (safari) return { browser: 'safari', major: Number(safari[1]), os };
  assert.fail(`unrecognised UA ${ua}`);
}

/** Parses `"Brand";v="1", …` into [brand, version] pairs. */
function brands(value: string): Array<[string, string]> {
  return value.split(', ').map((part) => {
    const m = /^"([^"]+)";v="(\d+)"$/.exec(part);
    assert.ok(m, `bad brand entry ${part}`);
    return [m[1] ?? '', m[2] ?? ''];
  });
}

function assertConsistent(set: HeaderSet): void {
  const names = set.headers.map(([n]) => n);
  const lower = names.map((n) => n.toLowerCase());
  assert.equal(new Set(lower).size, lower.length, `duplicate header in ${names.join(',')}`);
  for (const forbidden of ['host', 'connection', 'content-length', 'cookie']) {
    assert.ok(!lower.includes(forbidden), `${forbidden} in the set`);
  }
  assert.equal(header(set, 'user-agent'), set.userAgent);
  const ua = readUa(set.userAgent);
  assert.equal(set.browser, ua.browser);
  assert.equal(set.platform, ua.os);
  assert.equal(header(set, 'accept-encoding'), 'gzip, deflate, br');
  assert.equal(header(set, 'sec-fetch-site'), 'none');
  assert.equal(header(set, 'sec-fetch-mode'), 'navigate');
  assert.equal(header(set, 'sec-fetch-dest'), 'document');
  assert.deepEqual(names, EXPECTED_ORDER[ua.browser], `order of ${set.browser}`);

  if (ua.browser === 'chrome' || ua.browser === 'edge') {
    assert.equal(set.version, String(ua.major));
    const list = brands(header(set, 'sec-ch-ua') ?? '');
    assert.equal(list.length, 3);
    const named = ua.browser === 'edge' ? 'Microsoft Edge' : 'Google Chrome';
    assert.deepEqual(
      list.filter(([b]) => !b.startsWith('Not')).sort(),
      [
        ['Chromium', String(ua.major)],
        [named, String(ua.major)],
      ].sort(),
    );
    const grease = list.find(([b]) => b.startsWith('Not'));
    assert.ok(grease && /^Not.A.Brand$/.test(grease[0]) && ['8', '24', '99'].includes(grease[1]));
    assert.equal(header(set, 'sec-ch-ua-platform'), `"${ua.os}"`);
    assert.equal(header(set, 'sec-ch-ua-mobile'), '?0');
  } else {
    assert.ok(!lower.some((n) => n.startsWith('sec-ch-')), `client hints from ${ua.browser}`);
  }
  if (ua.browser === 'safari') assert.equal(ua.os, 'macOS');
}

describe('createHeaderSet', () => {
  test('500 seeded draws are each internally consistent and cover every browser', () => {
    const random = seeded(15);
    const seen = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const set = createHeaderSet({ random });
      assertConsistent(set);
      const major = Number(set.version.split('.')[0]);
      const [low, high] = VERSION_RANGE[set.browser as BrowserName];
      assert.ok(major >= low && major <= high, `${set.browser} ${set.version}`);
      const key = `${set.browser}/${set.platform}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const browser of BROWSER_NAMES) {
      assert.ok(
        [...seen.keys()].some((k) => k.startsWith(`${browser}/`)),
        `no ${browser} drawn`,
      );
    }
    for (const os of ['Windows', 'macOS', 'Linux'])
      assert.ok(seen.has(`chrome/${os}`), `no Chrome on ${os}`);
    // Chrome is the common case, as on the desktop.
    const chrome = [...seen]
      .filter(([k]) => k.startsWith('chrome/'))
      .reduce((s, [, n]) => s + n, 0);
    assert.ok(chrome > 200 && chrome < 450, `chrome drawn ${chrome} times of 500`);
  });

  test('the same seed draws the same sets', () => {
    const a = seeded(7);
    const b = seeded(7);
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(createHeaderSet({ random: a }), createHeaderSet({ random: b }));
    }
  });

  test('the GREASE brand follows Chromium’s algorithm for known versions', () => {
    const ua = (major: number): string =>
      `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`;
    // Values as real Chrome 131, 136 and 147 send them.
    assert.equal(
      header(createHeaderSet({ userAgent: ua(131) }), 'sec-ch-ua'),
      '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
    );
    assert.equal(
      header(createHeaderSet({ userAgent: ua(136) }), 'sec-ch-ua'),
      '"Chromium";v="136", "Google Chrome";v="136", "Not.A/Brand";v="99"',
    );
    assert.equal(
      header(createHeaderSet({ userAgent: ua(147) }), 'sec-ch-ua'),
      '"Google Chrome";v="147", "Not.A/Brand";v="8", "Chromium";v="147"',
    );
  });

  test('browsers narrows the draw; an unknown one is refused', () => {
    const random = seeded(3);
    for (let i = 0; i < 50; i++) {
      const set = createHeaderSet({ random, browsers: ['firefox', 'safari'] });
      assert.ok(set.browser === 'firefox' || set.browser === 'safari');
      assertConsistent(set);
    }
    assert.throws(() => createHeaderSet({ browsers: [] }), RangeError);
    assert.throws(() => createHeaderSet({ browsers: ['opera' as BrowserName] }), RangeError);
  });

  test('Accept-Language is written the way each browser writes it', () => {
    const locales = ['de-DE', 'en-US'];
    const chrome = createHeaderSet({ browsers: ['chrome'], locales });
    const firefox = createHeaderSet({ browsers: ['firefox'], locales });
    assert.equal(header(chrome, 'accept-language'), 'de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7');
    assert.equal(header(firefox, 'accept-language'), 'de-DE,de;q=0.8,en-US;q=0.5,en;q=0.3');
    assert.equal(
      header(createHeaderSet({ browsers: ['firefox'] }), 'accept-language'),
      'en-US,en;q=0.5',
    );
    assert.equal(
      header(createHeaderSet({ browsers: ['safari'] }), 'accept-language'),
      'en-US,en;q=0.9',
    );
    assert.throws(() => createHeaderSet({ locales: ['en US'] }), RangeError);
  });
});

describe('--user-agent wins', () => {
  test('a bot UA is sent verbatim with no client hints and no fetch metadata', () => {
    const set = createHeaderSet({ userAgent: 'TrawlBot/1.0 (+https://example.org/bot)' });
    assert.equal(set.userAgent, 'TrawlBot/1.0 (+https://example.org/bot)');
    assert.equal(header(set, 'user-agent'), set.userAgent);
    assert.equal(set.browser, 'other');
    const names = set.headers.map(([n]) => n.toLowerCase());
    assert.ok(!names.some((n) => n.startsWith('sec-')), names.join(','));
  });

  test('a Chromium UA gets the hints of its own version and OS', () => {
    const mac =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    const set = createHeaderSet({ userAgent: mac, random: () => 0.999 });
    assert.equal(set.browser, 'chrome');
    assert.equal(header(set, 'user-agent'), mac);
    assert.ok(header(set, 'sec-ch-ua')?.includes('"Google Chrome";v="120"'));
    assert.equal(header(set, 'sec-ch-ua-platform'), '"macOS"');
    assertConsistent(set);

    const edge =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36 Edg/138.0.0.0';
    assertConsistent(createHeaderSet({ userAgent: edge }));

    const android =
      'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Mobile Safari/537.36';
    const phone = createHeaderSet({ userAgent: android });
    assert.equal(header(phone, 'sec-ch-ua-mobile'), '?1');
    assert.equal(header(phone, 'sec-ch-ua-platform'), '"Android"');
  });

  test('Firefox, Safari and Chrome-on-iOS UAs get no client hints', () => {
    for (const ua of [
      'Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/139.0.7258.76 Mobile/15E148 Safari/604.1',
    ]) {
      const set = createHeaderSet({ userAgent: ua });
      assert.equal(set.userAgent, ua);
      assert.ok(!set.headers.some(([n]) => n.toLowerCase().startsWith('sec-ch-')), ua);
    }
    assert.equal(
      createHeaderSet({
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:141.0) Gecko/20100101 Firefox/141.0',
      }).browser,
      'firefox',
    );
  });

  test('a UA that is not one header line is refused', () => {
    assert.throws(() => createHeaderSet({ userAgent: 'a\r\nX-Injected: 1' }), RangeError);
    assert.throws(() => createHeaderSet({ userAgent: '  ' }), RangeError);
  });
});

describe('on the wire through undici', () => {
  let server: http.Server;
  let base: string;
  let received: string[] = [];
  const agent = new Agent();

  before(async () => {
    ({ server, base } = await listen((req, res) => {
      received = req.rawHeaders;
      res.end('ok');
    }));
  });

  after(async () => {
    await agent.close();
    await shut(server);
  });

  /** The names and values as they arrived, host and connection (undici's own) set aside. */
  function arrived(): Array<[string, string]> {
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < received.length; i += 2)
      pairs.push([received[i] ?? '', received[i + 1] ?? '']);
    assert.deepEqual(
      pairs.slice(0, 2).map(([n]) => n.toLowerCase()),
      ['host', 'connection'],
    );
    return pairs.slice(2);
  }

  test('each browser’s set arrives in its order and spelling, the Cookie where it belongs', async () => {
    const random = seeded(99);
    for (const browser of BROWSER_NAMES) {
      const set = createHeaderSet({ random, browsers: [browser] });
      const res = await request(base, {
        dispatcher: agent,
        headers: headerArray(set, { cookie: 'sid=1' }),
      });
      await res.body.text();
      const got = arrived();
      const withoutCookie = got.filter(([n]) => n !== 'Cookie');
      assert.deepEqual(
        withoutCookie,
        set.headers.map(([n, v]) => [n, v]),
        browser,
      );
      const at = got.findIndex(([n]) => n === 'Cookie');
      assert.deepEqual(got[at], ['Cookie', 'sid=1']);
      const before = got[at - 1]?.[0];
      assert.equal(
        before,
        {
          chrome: 'Accept-Language',
          edge: 'Accept-Language',
          firefox: 'Accept-Encoding',
          safari: 'Accept-Encoding',
        }[browser],
      );
    }
  });

  test('an object keeps the order too; an array of pairs is not undici’s form', async () => {
    const set = createHeaderSet({ random: seeded(5), browsers: ['chrome'] });
    const res = await request(base, {
      dispatcher: agent,
      headers: Object.fromEntries(set.headers),
    });
    await res.body.text();
    assert.deepEqual(
      arrived(),
      set.headers.map(([n, v]) => [n, v]),
    );
    await assert.rejects(
      request(base, {
        dispatcher: agent,
        headers: set.headers.map(([n, v]) => [n, v]) as unknown as string[],
      }),
    );
  });
});
