import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize } from '../../../src/core/url/canonicalize.js';

const key = (input: string, base?: string | URL): string | undefined =>
  canonicalize(input, base)?.href;

/** Each row: the canonical key, then spellings (absolute, or [relative, base]) that map to it. */
const equivalent: Array<[string, Array<string | [string, string | URL]>]> = [
  [
    'http://example.com/a/c',
    [
      'http://example.com/a/c',
      'HTTP://Example.COM:80/a/./b/../c#x',
      'http://EXAMPLE.com/a/b/../c',
      'http://example.com/a/c#',
      'http://example.com/a/c?',
      'http://example.com/a/c?#frag',
      '  http://example.com/a/c \n',
      'http://exa\tmple.com/a/\nc',
      'http:\\\\example.com\\a\\c',
      'http://ex%61mple.com/a/c',
      'http://example.com/a/%2e/c',
      'http://example.com/a/b/%2E%2e/c',
      'http://example.com/%61/c',
    ],
  ],
  ['http://example.com/', ['http://example.com', 'http://example.com:80', 'http://example.com/.']],
  [
    'http://a.com/c',
    ['http://a.com/../../c', 'http://a.com/b/../../../c', ['../../../c', 'http://a.com/x/y']],
  ],
  ['https://example.com/', ['https://example.com:443/', 'HTTPS://EXAMPLE.COM']],
  ['https://example.com:80/', ['https://example.com:80/']],
  ['http://example.com:8080/x', ['http://example.com:08080/x', 'http://EXAMPLE.com:8080/x#y']],
  // Escapes: unreserved decoded, other hex upper-cased, raw characters the parser encodes.
  [
    'http://e.com/~user/a-b_c.d',
    ['http://e.com/%7euser/a%2Db%5Fc%2ed', 'http://e.com/%7Euser/a-b_c.d'],
  ],
  ['http://e.com/a%2Fb', ['http://e.com/a%2fb', 'http://e.com/a%2Fb']],
  [
    'http://e.com/caf%C3%A9',
    ['http://e.com/café', 'http://e.com/caf%c3%a9', 'http://e.com/caf%C3%a9'],
  ],
  ['http://e.com/a%20b', ['http://e.com/a b', 'http://e.com/a%20b']],
  ['http://e.com/?q=a%2Bb', ['http://e.com/?q=a%2bb']],
  ['http://e.com/?q=~x', ['http://e.com/?q=%7Ex', 'http://e.com/?q=%7ex']],
  ['http://e.com/?q=%25', ['http://e.com/?q=%25']],
  // A literal '%' (not an escape) is sent escaped, as GNU Wget does: servers answer 400 otherwise.
  ['http://e.com/100%25', ['http://e.com/100%', 'http://e.com/100%25']],
  ['http://e.com/%25zz%254', ['http://e.com/%zz%4', 'http://e.com/%25zz%254']],
  ['http://e.com/operator%25.html', ['http://e.com/operator%.html']],
  ['http://e.com/a?q=50%25&r=%25z', ['http://e.com/a?q=50%&r=%z', 'http://e.com/a?r=%z&q=50%']],
  // Query: sorted by name, stable for repeated names, empty parameters dropped.
  [
    'http://e.com/p?a=1&b=2&c=3',
    ['http://e.com/p?c=3&b=2&a=1', 'http://e.com/p?b=2&a=1&c=3', 'http://e.com/p?a=1&&b=2&c=3&'],
  ],
  ['http://e.com/p?a=2&a=1&b=0', ['http://e.com/p?b=0&a=2&a=1', 'http://e.com/p?a=2&b=0&a=1']],
  ['http://e.com/p?a&a=&b', ['http://e.com/p?b&a&a=']],
  ['http://e.com/p', ['http://e.com/p?&', 'http://e.com/p?&&#x']],
  ['http://e.com/p?B=1&a=2', ['http://e.com/p?a=2&B=1']],
  ['http://e.com/p?a=%26&b=1', ['http://e.com/p?b=1&a=%26']],
  // IDN -> punycode.
  [
    'https://xn--mnchen-3ya.de/',
    ['https://münchen.de/', 'https://MÜNCHEN.de', 'https://xn--mnchen-3ya.de/'],
  ],
  // IPv4 and IPv6 hosts.
  ['http://127.0.0.1/', ['http://127.0.0.1', 'http://0x7f.0.0.1/', 'http://2130706433/']],
  ['http://[::1]:8080/a', ['http://[0:0:0:0:0:0:0:1]:8080/a', 'http://[::1]:8080/a#f']],
  ['http://[2001:db8::1]/', ['http://[2001:DB8:0::1]:80/']],
  // Userinfo is kept (it changes what is fetched); host still lower-cased.
  ['http://user:pw@example.com/', ['http://user:pw@EXAMPLE.com:80/']],
  // Relative links against a page URL.
  [
    'https://docs.example.com/manual/guide/page-12.html',
    [
      ['../guide/page-12.html', 'https://docs.example.com/manual/v2/index.html'],
      ['/manual/guide/page-12.html#top', 'https://docs.example.com/x'],
      ['//docs.example.com/manual/guide/page-12.html', 'https://other.org/'],
      ['page-12.html', new URL('https://docs.example.com/manual/guide/')],
      ['./page-12.html?', 'https://docs.example.com/manual/guide/index.html?x=1'],
    ],
  ],
  [
    'https://docs.example.com/docs/a?a=1&b=2',
    [
      ['/docs/a?b=2&a=1', 'https://docs.example.com/manual/'],
      ['?b=2&a=1', 'https://docs.example.com/docs/a?old=1'],
    ],
  ],
  // `<base href>` style bases: the base (not the page) decides, including a base on another host.
  [
    'https://cdn.example.net/assets/v3/img/logo.png',
    [
      ['img/logo.png', 'https://cdn.example.net/assets/v3/'],
      ['../v3/img/logo.png', 'https://cdn.example.net/assets/v3/index.html'],
      ['img/logo.png', 'HTTPS://CDN.Example.NET:443/assets/v3/'],
    ],
  ],
  // Fragment-only and query-only links resolve to the base page.
  [
    'https://e.com/page?a=1',
    [
      ['#section', 'https://e.com/page?a=1'],
      ['#', 'https://e.com/page?a=1#old'],
    ],
  ],
];

describe('canonicalize: equivalent spellings share one key', () => {
  for (const [expected, spellings] of equivalent) {
    test(expected, () => {
      for (const s of spellings) {
        const [input, base] = typeof s === 'string' ? [s, undefined] : s;
        assert.equal(key(input, base), expected, `${JSON.stringify(s)}`);
      }
    });
  }
});

describe('canonicalize: different URLs keep different keys', () => {
  const distinct: Array<[string, string]> = [
    ['http://e.com/a', 'http://e.com/a/'],
    ['http://e.com/?q=a+b', 'http://e.com/?q=a%20b'],
    ['http://e.com/a%2Fb', 'http://e.com/a/b'],
    ['http://e.com/A', 'http://e.com/a'],
    ['http://e.com/?a=1', 'http://e.com/?A=1'],
    ['http://e.com/?a', 'http://e.com/?a='],
    ['http://e.com/', 'https://e.com/'],
    ['http://e.com/', 'http://e.com:8080/'],
    ['http://e.com/', 'http://www.e.com/'],
    ['http://e.com/?a=1&b=2', 'http://e.com/?a=2&b=1'],
    ['http://e.com/?a=1&a=2', 'http://e.com/?a=2&a=1'],
  ];
  for (const [a, b] of distinct) {
    test(`${a} != ${b}`, () => {
      const ka = key(a);
      const kb = key(b);
      assert.ok(ka !== undefined && kb !== undefined);
      assert.notEqual(ka, kb);
    });
  }
});

describe('canonicalize: rejected inputs', () => {
  const rejected: Array<[string, string?]> = [
    [''],
    ['   \t\n'],
    ['', 'https://e.com/page'],
    [' ', 'https://e.com/page'],
    ['javascript:void(0)', 'https://e.com/'],
    ['JavaScript:alert(1)', 'https://e.com/'],
    ['java\tscript:alert(1)', 'https://e.com/'],
    ['  javascript:alert(1)', 'https://e.com/'],
    ['mailto:someone@example.com', 'https://e.com/'],
    ['tel:+123456', 'https://e.com/'],
    ['data:text/html,<p>x</p>', 'https://e.com/'],
    ['ftp://example.com/file', 'https://e.com/'],
    ['file:///etc/passwd'],
    ['ws://example.com/socket'],
    ['httpx://example.com/'],
    ['about:blank'],
    ['relative/path.html'],
    ['/absolute/path'],
    ['//example.com/no-base'],
    ['http://'],
    ['http://exa mple.com/'],
    ['http://[::1/'],
    ['http://example.com:99999/'],
    ['https://e.com:-1/'],
    ['page.html', 'not a url'],
    ['page.html', 'mailto:x@y.z'],
  ];
  for (const [input, base] of rejected) {
    test(`${JSON.stringify(input)}${base === undefined ? '' : ` against ${base}`}`, () => {
      assert.equal(canonicalize(input, base), null);
    });
  }
});

describe('canonicalize: result fields and options', () => {
  test('host keeps a non-default port, hostname never does', () => {
    assert.deepEqual(canonicalize('HTTPS://Sub.Example.COM:8443/x?b=1&a=2#f'), {
      href: 'https://sub.example.com:8443/x?a=2&b=1',
      host: 'sub.example.com:8443',
      hostname: 'sub.example.com',
      protocol: 'https:',
    });
    assert.deepEqual(canonicalize('http://[::1]:80/'), {
      href: 'http://[::1]/',
      host: '[::1]',
      hostname: '[::1]',
      protocol: 'http:',
    });
  });

  test('sortQuery: false keeps the parameter order (and empty parameters)', () => {
    const o = { sortQuery: false };
    assert.equal(
      canonicalize('http://e.com/p?b=2&a=%7e1#x', undefined, o)?.href,
      'http://e.com/p?b=2&a=~1',
    );
    assert.equal(
      canonicalize('http://e.com/p?b=2&&a=1', undefined, o)?.href,
      'http://e.com/p?b=2&&a=1',
    );
  });

  test('long queries sort the same way (stable for repeated names)', () => {
    const names = Array.from({ length: 50 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    const params = names.flatMap((n) => [`${n}=first`, `${n}=second`]);
    const shuffled = [
      ...params.filter((_, i) => i % 2 === 0).reverse(),
      ...params.filter((_, i) => i % 2 === 1),
    ];
    assert.equal(key(`http://e.com/?${shuffled.join('&')}`), `http://e.com/?${params.join('&')}`);
  });

  test('a key is a fixed point: canonicalizing it again changes nothing', () => {
    for (const [expected] of equivalent) assert.equal(key(expected), expected);
  });
});

describe('canonicalize: relative paths against a URL base take a fast path', () => {
  // Against a URL object, path-only hrefs are resolved without the WHATWG parser; against
  // the same base as a string they always go through it. Both must agree on every href.
  const bases = [
    'http://127.0.0.1:8080/api/java.base/java/lang/String.html',
    'https://example.com/',
    'http://example.com',
    'http://user:pw@example.com:8081/a/b/c/?q=1#top',
    'http://example.com/a/b/',
    'http://example.com/%7Ea/%41b/page.html?x',
    'http://example.com/a//b/page',
  ];
  const pieces = [
    '..',
    '.',
    '...',
    '.a',
    'a',
    'b.html',
    '',
    '~x',
    "a'b(c)*",
    'x=1&y;z',
    '@',
    '-_',
    '%2e',
    '%2E%2e',
    '%41',
    '%7e',
    'é',
    'a b',
    'a\tb',
    ':',
    'c:',
    'q?r=1',
    '\\',
    '|',
    '^',
  ];
  const prefixes = ['', '', '', '/', '//', './', '../', '../../', ' '];
  const suffixes = ['', '', '/', '#', '#frag', '#a b?c', '/.', '/..', '?z=2&a=1'];

  test('the fast path and the parser agree on 40,000 generated hrefs', () => {
    let seed = 12345;
    const pick = <T>(xs: T[]): T => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return xs[seed % xs.length] as T;
    };
    let checked = 0;
    for (const baseHref of bases) {
      const base = new URL(baseHref);
      for (let i = 0; i < 40_000 / bases.length; i++) {
        const count = 1 + (i % 4);
        const parts: string[] = [];
        for (let k = 0; k < count; k++) parts.push(pick(pieces));
        const href = pick(prefixes) + parts.join('/') + pick(suffixes);
        assert.deepEqual(
          canonicalize(href, base),
          canonicalize(href, baseHref),
          `${JSON.stringify(href)} against ${baseHref}`,
        );
        checked++;
      }
    }
    assert.ok(checked >= 39_000);
  });

  test('typical documentation links resolve as a browser would', () => {
    const base = new URL('http://docs.test/api/java.base/java/util/List.html');
    assert.equal(
      key('../lang/String.html#equals(java.lang.Object)', base),
      'http://docs.test/api/java.base/java/lang/String.html',
    );
    assert.equal(key('../../../index.html', base), 'http://docs.test/api/index.html');
    assert.equal(key('../../../../../../x.html', base), 'http://docs.test/x.html');
    assert.equal(
      key('package-summary.html', base),
      'http://docs.test/api/java.base/java/util/package-summary.html',
    );
    assert.equal(key('./', base), 'http://docs.test/api/java.base/java/util/');
    assert.equal(key('..', base), 'http://docs.test/api/java.base/java/');
    assert.equal(key('/help-doc.html#search', base), 'http://docs.test/help-doc.html');
    assert.equal(key('a/../b.html', base), 'http://docs.test/api/java.base/java/util/b.html');
    assert.equal(canonicalize('x.html', base)?.host, 'docs.test');
  });
});
