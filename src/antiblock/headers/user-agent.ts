/**
 * Reads a User-Agent string given from outside (`--user-agent`) well enough to build the
 * headers that agree with it: which browser family, which major version, which OS.
 * Anything it cannot place is `other`, for which no client hint is sent.
 */
import type { BrowserName } from './browser-table.js';

/** The OS names `sec-ch-ua-platform` uses, as far as a User-Agent tells them. */
export type UaPlatform = 'Windows' | 'macOS' | 'Linux' | 'Android' | 'Chrome OS' | 'iOS';

export interface UserAgentFacts {
  readonly browser: BrowserName | 'other';
  /** Chromium and Firefox: the major version; Safari: `major.minor`; `other`: ''. */
  readonly version: string;
  readonly platform: UaPlatform | null;
  readonly mobile: boolean;
}

export function describeUserAgent(ua: string): UserAgentFacts {
  const platform = platformOf(ua);
  const mobile = /\bMobile\b/.test(ua) || platform === 'Android' || platform === 'iOS';
  const facts = (browser: BrowserName | 'other', version = ''): UserAgentFacts => ({
    browser,
    version,
    platform,
    mobile,
  });
  // Chromium-based browsers on iOS are WebKit underneath and send no client hints.
  if (platform === 'iOS' && !/Version\/\d/.test(ua)) return facts('other');
  const edge = /\bEdg(?:A)?\/(\d+)\./.exec(ua);
  if (edge?.[1] !== undefined) return facts('edge', edge[1]);
  // Opera, Samsung Internet, Yandex, … name other brands we cannot spell for them.
  if (/\b(?:OPR|SamsungBrowser|YaBrowser|Vivaldi|UCBrowser|Electron|HeadlessChrome)\//.test(ua)) {
    return facts('other');
  }
  const chrome = /\bChrome\/(\d+)\./.exec(ua);
  if (chrome?.[1] !== undefined) return facts('chrome', chrome[1]);
  const firefox = /\bFirefox\/(\d+)\./.exec(ua);
  if (firefox?.[1] !== undefined && /\bGecko\//.test(ua)) return facts('firefox', firefox[1]);
  const safari = /\bVersion\/(\d+(?:\.\d+)?)(?:\.\d+)?\b.*\bSafari\//.exec(ua);
  if (safari?.[1] !== undefined && /AppleWebKit\//.test(ua)) return facts('safari', safari[1]);
  return facts('other');
}

function platformOf(ua: string): UaPlatform | null {
  if (/\b(?:iPhone|iPad|iPod)\b/.test(ua)) return 'iOS';
  if (/\bAndroid\b/.test(ua)) return 'Android';
  if (/\bCrOS\b/.test(ua)) return 'Chrome OS';
  if (/\bWindows NT\b/.test(ua)) return 'Windows';
  if (/\bMac OS X\b|\bMacintosh\b/.test(ua)) return 'macOS';
  if (/\bLinux\b|\bX11\b/.test(ua)) return 'Linux';
  return null;
}
