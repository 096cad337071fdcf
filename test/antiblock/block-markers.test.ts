import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type BlockCheckResponse,
  type BlockMarker,
  BLOCK_MARKERS,
  detectBlock,
  SCAN_BYTES,
  visibleTextLength,
} from '../../src/antiblock/block-markers.js';

// Small samples modelled on what these pages look like in the wild (markup trimmed, ids
// and keys made up). Each is well under 3 KB.

const CF_JUST_A_MOMENT = `<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta http-equiv="X-UA-Compatible" content="IE=Edge"><meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15}body{display:flex;flex-direction:column;height:100vh}</style>
<meta http-equiv="refresh" content="390"></head><body class="no-js"><div class="main-wrapper" role="main">
<div class="main-content"><noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript></div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "shop.example.com",cType: 'managed',cRay: '8a1b2c3d4e5f6a7b',cH: 'kH3.xyz',cUPMDTk: "\\/?__cf_chl_tk=abc.def-1700000000-0-gaNycGzNCq",cFPWv: 'b',cITimeS: '1700000000'};var cpo = document.createElement('script');cpo.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8a1b2c3d4e5f6a7b';window._cf_chl_opt.cOgUHash = location.hash === '' ? '' : location.hash;document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>
</body></html>`;

const CF_ATTENTION_BLOCKED = `<!DOCTYPE html><!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<html class="no-js" lang="en-US"><head><title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" /><meta name="robots" content="noindex, nofollow" />
<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/cf.errors.css" /></head>
<body><div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">
<div class="cf-wrapper cf-header cf-error-overview"><h1 data-translate="block_headline">Sorry, you have been blocked</h1>
<h2 class="cf-subheadline"><span data-translate="unable_to_access">You are unable to access</span> example.com</h2></div>
<div class="cf-section cf-wrapper"><h2 data-translate="blocked_why_headline">Why have I been blocked?</h2>
<p data-translate="blocked_why_detail">This website is using a security service to protect itself from online attacks.</p></div>
<div class="cf-error-footer">Cloudflare Ray ID: <strong class="font-semibold">8a1b2c3d4e5f6a7b</strong></div></div></div></body></html>`;

const CF_1020 = `<!DOCTYPE html><html class="no-js" lang="en-US"><head>
<title>Access denied | shop.example.com used Cloudflare to restrict access</title>
<meta charset="UTF-8" /><meta name="robots" content="noindex, nofollow" /></head>
<body><div id="cf-wrapper"><div id="cf-error-details"><h1><span class="cf-error-type">Error</span><span class="cf-error-code">1020</span></h1>
<h2 class="cf-subheadline">Access denied</h2><p>The site owner may have set restrictions that prevent you from accessing the site.</p>
</div></div></body></html>`;

const RECAPTCHA_429 = `<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8">
<title>https://www.example.com/search?q=widgets</title>
<script src="https://www.google.com/recaptcha/api.js" async defer></script></head>
<body style="margin:0"><div style="max-width:400px"><hr noshade size="1" style="color:#ccc">
<form id="captcha-form" action="index" method="post"><noscript><div style="font-size:13px">In order to continue, please enable javascript on your web browser.</div></noscript>
<div id="recaptcha" class="g-recaptcha" data-sitekey="6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b" data-callback="submitCallback" data-s="Xq3"></div>
<input type='hidden' name='q' value='EgQ'><input type="hidden" name="continue" value="https://www.example.com/search?q=widgets"></form>
<hr noshade size="1" style="color:#ccc"><div style="font-size:13px"><b>About this page</b><br><br>
Our systems have detected unusual traffic from your computer network. This page checks to see if it's really you sending the requests, and not a robot.</div></div></body></html>`;

const HCAPTCHA_SHELL = `<!doctype html><html><head><meta charset="utf-8"><title>One moment, please</title>
<script src="https://js.hcaptcha.com/1/api.js" async defer></script></head>
<body><main class="gate"><h1>Please complete the security check</h1>
<form method="post" action="/verify"><div class="h-captcha" data-sitekey="a5f74b19-9e45-40e0-b45d-47ff91b7a6c2" data-theme="light"></div>
<button type="submit">Continue</button></form></main></body></html>`;

const TURNSTILE_SHELL = `<!DOCTYPE html><html><head><title>Checking your connection</title>
<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script></head>
<body><div class="wrap"><p>Verify you are human to continue to the forum.</p>
<form action="/login" method="POST"><div class="cf-turnstile" data-sitekey="0x4AAAAAAABkMYinukE8nzYS" data-action="login" data-theme="auto"></div>
<input type="submit" value="Continue"></form></div></body></html>`;

const RECAPTCHA_V3_403 = `<!DOCTYPE html><html><head><title>Request blocked</title>
<script src="https://www.google.com/recaptcha/api.js?render=6LcR_okUAAAAAPYrPe-HK_0RULO1aZM15ENyM-Mf"></script>
<script>grecaptcha.ready(function(){grecaptcha.execute('6LcR_okUAAAAAPYrPe-HK_0RULO1aZM15ENyM-Mf',{action:'unblock'}).then(function(t){document.getElementById('t').value=t;document.forms[0].submit();});});</script>
</head><body><form method="post" action="/unblock"><input type="hidden" id="t" name="token"></form><p>Checking…</p></body></html>`;

const AKAMAI = `<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "http&#58;&#47;&#47;www&#46;example&#46;com&#47;products&#47;" on this server.<P>
Reference&#32;&#35;18&#46;2f1c2c17&#46;1700000000&#46;3a5b9c1
<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;2f1c2c17&#46;1700000000&#46;3a5b9c1</P>
</BODY>
</HTML>`;

const INCAPSULA = `<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW"><meta name="format-detection" content="telephone=no"><meta name="viewport" content="initial-scale=1.0"><meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1"></head><body style="margin:0px;height:100%"><iframe id="main-iframe" src="/_Incapsula_Resource?CWUDNSAI=24&xinfo=5-12345678-0%200NNN%20RT%281700000000000%2058%29%20q%280%20-1%20-1%20-1%29%20r%280%20-1%29%20B15%284%2c200%2c0%29%20U18&incident_id=123000450012345678-987654321012345678&edet=15&cinfo=04000000&rpinfo=0&mth=GET" frameborder=0 width="100%" height="100%" marginheight="0px" marginwidth="0px">Request unsuccessful. Incapsula incident ID: 123000450012345678-987654321012345678</iframe></body></html>`;

const DATADOME = `<html lang="en"><head><title>shop.example.com</title><style>#cmsg{animation: A 1.5s;}@keyframes A{0%{opacity:0;}99%{opacity:0;}100%{opacity:1;}}</style></head><body style="margin:0"><p id="cmsg">Please enable JS and disable any ad blocker</p><script data-cfasync="false">var dd={'rt':'c','cid':'AHrlqAAAAAMAQzE3DQs2XkYAJ5s1jQ==','hsh':'A55FBF4311ED6F1BF9911EB71931D5','t':'fe','s':17434,'e':'b5cd5a4f1c0a4e0b','host':'geo.captcha-delivery.com'}</script><script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script></body></html>`;

const PERIMETERX = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Access to this page has been denied.</title><link href="https://fonts.googleapis.com/css?family=Open+Sans:300" rel="stylesheet"></head>
<body><section class="center-wrapper"><div class="page-title-wrapper"><h1 class="page-title">Before we continue...</h1></div>
<div class="content-wrapper"><p>Press &amp; Hold to confirm you are<br>a human (and not a bot).</p></div>
<div id="px-captcha"></div><div class="page-footer-wrapper"><p>Reference ID 3f1e8a20-88aa-11ee-9d3c-596a4e5b4c43</p></div></section>
<script>window._pxAppId = 'PXu6b0qd2S';window._pxJsClientSrc = '/u6b0qd2S/init.js';window._pxHostUrl = '/u6b0qd2S/xhr';</script>
<script src="/u6b0qd2S/captcha/captcha.js?a=c&u=3f1e8a20&v=&m=0"></script></body></html>`;

const NGINX_403 = `<html>
<head><title>403 Forbidden</title></head>
<body>
<center><h1>403 Forbidden</h1></center>
<hr><center>nginx</center>
</body>
</html>`;

const APACHE_403 = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>403 Forbidden</title>
</head><body>
<h1>Forbidden</h1>
<p>You don't have permission to access this resource.</p>
<hr>
<address>Apache/2.4.57 (Debian) Server at www.example.com Port 443</address>
</body></html>`;

const ROBOT_CHECK = `<!doctype html><html><head><title>Are you a robot?</title></head>
<body><h1>Are you a robot?</h1><p>We have noticed unusual activity from your network. Please try again later.</p></body></html>`;

/** English prose, several thousand characters of it. */
const PROSE = Array.from(
  { length: 14 },
  (_, i) =>
    `<p>Paragraph ${i + 1}. The harbour trail follows the old rail bed for most of its length, ` +
    `passing the boatyards, the fish market and the lighthouse keeper's cottage before it climbs ` +
    `to the headland. Walkers should allow two hours each way and carry water in summer.</p>`,
).join('\n');

const ARTICLE_MENTIONING = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Why CAPTCHAs keep getting harder | The Daily Example</title>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABC123"></script></head>
<body><header><nav><a href="/">Home</a> <a href="/tech">Tech</a></nav></header>
<article><h1>Why CAPTCHAs keep getting harder</h1>
<p>Anyone who has clicked through nine pictures of traffic lights knows the captcha is not getting easier.
Sites that see "Access denied" complaints from real users often blame reCAPTCHA or hCaptcha, and a
403 Forbidden page is the last thing a reader wants to see.</p>
${PROSE}
</article><footer>© The Daily Example</footer></body></html>`;

const FORM_PAGE_WITH_RECAPTCHA = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Harbour trail guide — comments</title>
<script src="https://www.google.com/recaptcha/api.js" async defer></script></head>
<body><article><h1>The harbour trail</h1>${PROSE}</article>
<section id="comments"><h2>Leave a comment</h2><form method="post" action="/comments">
<textarea name="comment"></textarea>
<div class="g-recaptcha" data-sitekey="6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b"></div>
<button>Post</button></form></section></body></html>`;

const LONG_ACCESS_DENIED_REVIEW = `<!doctype html><html><head><title>Access Denied</title></head>
<body><h1>Access Denied</h1><p>A review of the new thriller, now showing.</p>${PROSE}</body></html>`;

const CF_PROXIED_NORMAL = `<!doctype html><html><head><title>Harbour trail guide</title></head>
<body><article>${PROSE}</article>
<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;if(b){var d=b.createElement('script');d.innerHTML="window.__CF$cv$params={r:'8a1b2c3d4e5f6a7b',t:'MTcwMDAwMDAwMC4wMDAwMDA='};var a=document.createElement('script');a.nonce='';a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';document.getElementsByTagName('head')[0].appendChild(a);";b.getElementsByTagName('head')[0].appendChild(d)}}var a=document.createElement('iframe');a.height=1;a.width=1;a.style.position='absolute';document.body.appendChild(a);c()})();</script>
</body></html>`;

const INCAPSULA_PROXIED_NORMAL = `<!doctype html><html><head><title>Harbour trail guide</title></head>
<body><article>${PROSE}</article>
<script type="text/javascript" src="/_Incapsula_Resource?SWJIYLWA=719d34d31c8e3a6e6fffd425f7e032f3&ns=1&cb=1234567"></script>
</body></html>`;

const SPA_WITH_V3 = `<!doctype html><html><head><meta charset="utf-8"><title>Example Shop</title>
<script src="https://www.google.com/recaptcha/api.js?render=6LcR_okUAAAAAPYrPe-HK_0RULO1aZM15ENyM-Mf"></script>
<script type="module" src="/assets/index-4f1c2e.js"></script></head><body><div id="root"></div></body></html>`;

const HTML = { 'content-type': 'text/html; charset=UTF-8' };

function page(
  body: Buffer | string,
  status = 200,
  headers: BlockCheckResponse['headers'] = HTML,
): BlockCheckResponse {
  return { url: 'https://shop.example.com/products/', status, headers, body };
}

function markerOf(response: BlockCheckResponse): BlockMarker | null {
  return detectBlock(response)?.marker ?? null;
}

describe('detectBlock: block pages', () => {
  test('Cloudflare managed challenge: the cf-mitigated header alone says it', () => {
    const signal = detectBlock(
      page('', 403, {
        'content-type': 'text/html',
        server: 'cloudflare',
        'cf-mitigated': 'challenge',
      }),
    );
    assert.equal(signal?.marker, 'cloudflare_challenge');
    assert.equal(signal?.captcha, null);
  });

  test('Cloudflare "Just a moment..." page, found from the body', () => {
    const headers = {
      'content-type': 'text/html',
      server: 'cloudflare',
      'cf-ray': '8a1b2c3d4e5f6a7b-AMS',
    };
    assert.equal(markerOf(page(CF_JUST_A_MOMENT, 403, headers)), 'cloudflare_challenge');
    assert.equal(markerOf(page(CF_JUST_A_MOMENT, 503, HTML)), 'cloudflare_challenge');
    // A UTF-8 ellipsis in the title, read from the bytes; the title and a Cloudflare
    // header suffice.
    const bare = Buffer.from(
      '<html><head><title>Just a moment…</title></head><body></body></html>',
    );
    assert.equal(markerOf(page(bare, 200, headers)), 'cloudflare_challenge');
    assert.equal(markerOf(page(bare, 200, HTML)), null); // no Cloudflare evidence
    // The _cf_chl_opt script on a shell is enough, whatever the title says.
    const retitled = CF_JUST_A_MOMENT.replace('Just a moment...', 'shop.example.com');
    assert.equal(markerOf(page(retitled, 403, HTML)), 'cloudflare_challenge');
  });

  test('Cloudflare firewall blocks: "Sorry, you have been blocked" and error 1020', () => {
    assert.equal(markerOf(page(CF_ATTENTION_BLOCKED, 403)), 'cloudflare_block');
    assert.equal(markerOf(page(CF_1020, 403)), 'cloudflare_block');
  });

  test('reCAPTCHA v2 widget on a 429 page: captcha with its site key', () => {
    const signal = detectBlock(page(RECAPTCHA_429, 429));
    assert.deepEqual(signal && { marker: signal.marker, captcha: signal.captcha }, {
      marker: 'captcha',
      captcha: {
        kind: 'recaptcha_v2',
        siteKey: '6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b',
        pageUrl: 'https://shop.example.com/products/',
      },
    });
  });

  test('hCaptcha widget on a short 200 page', () => {
    const signal = detectBlock(page(Buffer.from(HCAPTCHA_SHELL)));
    assert.equal(signal?.marker, 'captcha');
    assert.equal(signal?.captcha?.kind, 'hcaptcha');
    assert.equal(signal?.captcha?.siteKey, 'a5f74b19-9e45-40e0-b45d-47ff91b7a6c2');
  });

  test('Turnstile widget on a short page, with its action', () => {
    const signal = detectBlock(page(TURNSTILE_SHELL));
    assert.equal(signal?.marker, 'captcha');
    assert.deepEqual(signal?.captcha, {
      kind: 'turnstile',
      siteKey: '0x4AAAAAAABkMYinukE8nzYS',
      pageUrl: 'https://shop.example.com/products/',
      action: 'login',
    });
  });

  test('reCAPTCHA v3 (api.js?render=KEY) on a 403 page', () => {
    const signal = detectBlock(page(RECAPTCHA_V3_403, 403));
    assert.equal(signal?.marker, 'captcha');
    assert.equal(signal?.captcha?.kind, 'recaptcha_v3');
    assert.equal(signal?.captcha?.siteKey, '6LcR_okUAAAAAPYrPe-HK_0RULO1aZM15ENyM-Mf');
  });

  test('Akamai "Access Denied ... Reference #" (upper-case markup, encoded reference)', () => {
    assert.equal(
      markerOf(page(AKAMAI, 403, { 'content-type': 'text/html', server: 'AkamaiGHost' })),
      'akamai_denied',
    );
  });

  test('Imperva / Incapsula incident page', () => {
    assert.equal(markerOf(page(INCAPSULA, 200)), 'imperva');
  });

  test('DataDome CAPTCHA shell, as HTML and as the JSON answer to an XHR', () => {
    assert.equal(markerOf(page(DATADOME, 403)), 'datadome');
    const json =
      '{"url":"https://geo.captcha-delivery.com/captcha/?initialCid=AHrlqAAAAAMA&cid=x&t=fe"}';
    assert.equal(markerOf(page(json, 403, { 'content-type': 'application/json' })), 'datadome');
  });

  test('PerimeterX "Press & Hold" shell', () => {
    assert.equal(markerOf(page(PERIMETERX, 403)), 'perimeterx');
  });

  test('AWS WAF challenge / CAPTCHA header', () => {
    assert.equal(markerOf(page('', 202, { 'x-amzn-waf-action': 'challenge' })), 'aws_waf');
    assert.equal(
      markerOf(page('<html></html>', 405, { 'x-amzn-waf-action': 'captcha' })),
      'aws_waf',
    );
  });

  test('generic short "403 Forbidden" pages of nginx and Apache', () => {
    assert.equal(markerOf(page(NGINX_403, 403)), 'access_denied');
    assert.equal(markerOf(page(APACHE_403, 403)), 'access_denied');
    // A short "Forbidden" shell served with 200 is still one.
    assert.equal(markerOf(page(NGINX_403, 200)), 'access_denied');
  });

  test('generic short "Are you a robot?" interstitial', () => {
    assert.equal(markerOf(page(ROBOT_CHECK, 200)), 'bot_check');
  });

  test('header names in any case, values as arrays', () => {
    assert.equal(
      markerOf(page('', 403, { 'CF-Mitigated': ['challenge'] })),
      'cloudflare_challenge',
    );
  });

  test('every marker id is documented in BLOCK_MARKERS', () => {
    assert.equal(new Set(BLOCK_MARKERS).size, 10);
  });
});

describe('detectBlock: normal pages', () => {
  test('an article that mentions captcha, reCAPTCHA and "Access denied" in its text', () => {
    assert.equal(detectBlock(page(ARTICLE_MENTIONING)), null);
  });

  test('a content-rich page with a reCAPTCHA on its comment form', () => {
    assert.equal(detectBlock(page(FORM_PAGE_WITH_RECAPTCHA)), null);
  });

  test('but the same widget on an error page of that site is a block', () => {
    assert.equal(markerOf(page(FORM_PAGE_WITH_RECAPTCHA, 429)), 'captcha');
  });

  test('a long page titled "Access Denied" (a film review)', () => {
    assert.equal(detectBlock(page(LONG_ACCESS_DENIED_REVIEW)), null);
  });

  test("Cloudflare's and Imperva's scripts injected into normal pages", () => {
    const headers = { ...HTML, server: 'cloudflare', 'cf-ray': '8a1b2c3d4e5f6a7b-AMS' };
    assert.equal(detectBlock(page(CF_PROXIED_NORMAL, 200, headers)), null);
    assert.equal(detectBlock(page(INCAPSULA_PROXIED_NORMAL)), null);
  });

  test('an SPA shell that loads reCAPTCHA v3 for scoring', () => {
    assert.equal(detectBlock(page(SPA_WITH_V3)), null);
  });

  test('an empty 200, and bare 401/403/429 statuses (the session layer judges those)', () => {
    assert.equal(detectBlock(page('')), null);
    assert.equal(detectBlock(page(Buffer.alloc(0))), null);
    assert.equal(detectBlock(page('', 403)), null);
    assert.equal(
      detectBlock(page('Too Many Requests', 429, { 'content-type': 'text/plain' })),
      null,
    );
    assert.equal(detectBlock(page('Unauthorized', 401, {})), null);
  });

  test('a JSON body that mentions captcha', () => {
    const json = JSON.stringify({
      title: 'Access denied',
      captcha: 'g-recaptcha',
      items: [1, 2, 3],
    });
    assert.equal(detectBlock(page(json, 200, { 'content-type': 'application/json' })), null);
    assert.equal(detectBlock(page(json, 200, {})), null); // sniffed
  });

  test('only the first 32 KiB are looked at', () => {
    const late = `<html><head><title>x</title></head><body>${' '.repeat(SCAN_BYTES)}<div class="g-recaptcha" data-sitekey="6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b"></div></body></html>`;
    assert.equal(detectBlock(page(late, 403)), null);
    assert.equal(markerOf(page(late.replace(' '.repeat(SCAN_BYTES), ''), 403)), 'captcha');
  });
});

describe('visibleTextLength', () => {
  test('counts text outside tags, scripts, styles and comments, whitespace runs once', () => {
    const html =
      '<html><head><style>p{color:red}</style><script>var x = "<p>not text</p>";</script></head>' +
      '<body><!-- a comment --><p>Hello   world</p><SCRIPT>ignored()</SCRIPT><p>again</p></body></html>';
    assert.equal(visibleTextLength(html), 'Hello world again'.length + 1);
  });

  test('stops past the limit', () => {
    assert.equal(visibleTextLength('x'.repeat(10_000), 100), 101);
  });
});

describe('detectBlock: cost', () => {
  test('a normal ~20 KB article takes microseconds', () => {
    const body = Buffer.from(
      `<!doctype html><html><head><title>Harbour trail guide</title></head><body>${PROSE.repeat(6)}</body></html>`,
    );
    assert.ok(body.length > 18_000 && body.length < 24_000, `body is ${body.length} bytes`);
    const response = page(body);
    for (let i = 0; i < 500; i++) detectBlock(response);
    const runs = 2000;
    const started = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) detectBlock(response);
    const perPageUs = Number(process.hrtime.bigint() - started) / 1000 / runs;
    // The budget is 50 µs; asserted loosely so a loaded CI machine does not flake.
    assert.ok(perPageUs < 250, `${perPageUs.toFixed(1)} µs per page`);
  });
});
