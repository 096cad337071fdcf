/**
 * The SSRF guard: the service fetches URLs that strangers send, so no request may reach
 * the machine itself, its private networks or a cloud metadata endpoint. A URL is
 * checked twice: `checkUrl` before each hop (the only check an IP-literal host gets, since
 * net.connect does not look those up) and `lookup` at connect time, on the addresses the
 * socket will really use, so DNS rebinding and redirects cannot slip past a name check.
 */
import dns from 'node:dns';
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { TrawlError, UsageError } from '../../core/errors.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** What a job may reach despite the guard (the service's TRAWL_ALLOW_TARGETS). */
export interface AddressGuardSpec {
  /**
   * CIDR ranges (`127.0.0.0/8`, `fd00::/8`), single addresses (`10.0.0.5`, `::1`), host
   * names (`localhost`) and wildcards (`*.internal.example`: its subdomains, not the
   * name itself). A metadata address or name is exempted only by an entry naming it
   * exactly (`169.254.169.254`, `metadata.google.internal`), never by a range or wildcard.
   */
  allow: string[];
}

export interface AddressGuardOptions {
  /** Resolver used by `lookup`, called with `all: true`. @default dns.lookup */
  lookup?: LookupFunction;
}

export interface AddressGuard {
  /**
   * Throws `unsupported_scheme` for anything but http(s), `invalid_url` for an
   * unparsable URL, and `blocked_address` for an IP-literal host in a refused range or a
   * refused name (localhost, *.localhost, metadata names), unless allowed. Synchronous
   * and cheap: for API routes rejecting early and for the fetcher before every hop.
   */
  checkUrl(url: string): void;
  /**
   * A net/tls `lookup` (both `all` modes, as autoSelectFamily and undici use it) that
   * fails with a `blocked_address` TrawlError when ANY resolved address is refused: a
   * later connection (happy eyeballs, a retry) could use the one not picked.
   */
  lookup: LookupFunction;
  /** True when the allow list covers this address (an IPv4-mapped one by its IPv4 part). */
  isAllowedAddress(ip: string): boolean;
  /** Why the guard refuses this IP address ("loopback", "metadata"…), or null: allowed. */
  refusal(ip: string): string | null;
}

/** A parsed allow list; build it with parseAllowList. */
export interface AllowList {
  readonly ranges: ReadonlyArray<readonly [Address, number]>;
  readonly names: ReadonlySet<string>;
  /** ".internal.example" for the entry "*.internal.example". */
  readonly suffixes: readonly string[];
}

/** Cloud instance-metadata endpoints (AWS, GCP, Azure, Oracle, ECS, Alibaba). */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254',
  '169.254.170.2',
  '100.100.100.200',
  '192.0.0.192',
  'fd00:ec2::254',
]);
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Readable names of ipaddr.js's ranges, for error messages. */
const RANGE_LABELS: Readonly<Record<string, string>> = {
  private: 'RFC 1918 private',
  carrierGradeNat: 'CGNAT 100.64.0.0/10',
  linkLocal: 'link-local',
  uniqueLocal: 'unique local fc00::/7',
  ipv4Mapped: 'IPv4-mapped',
  rfc6145: 'IPv4-translated',
  rfc6052: 'NAT64',
  teredo: 'Teredo',
};
const label = (range: string): string => RANGE_LABELS[range] ?? range;

/** Global unicast (RFC 4291): every other IPv6 prefix is special-purpose or unassigned. */
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
/** The NAT64 well-known prefix (RFC 6052); the rest of 64:ff9b::/32 is local use. */
const NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/** Builds the guard; throws UsageError naming a malformed allow entry. */
export function createAddressGuard(
  spec: AddressGuardSpec,
  options: AddressGuardOptions = {},
): AddressGuard {
  const allow = parseAllowList(spec.allow);
  const resolve: LookupFunction = options.lookup ?? dns.lookup;

  const allowsAddress = (ip: Address): boolean => {
    const candidates = [ip];
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
      candidates.push((ip as ipaddr.IPv6).toIPv4Address());
    }
    const exactOnly = isMetadataAddress(ip);
    return allow.ranges.some(([range, bits]) => {
      if (exactOnly && bits !== (range.kind() === 'ipv4' ? 32 : 128)) return false;
      return candidates.some((c) => c.kind() === range.kind() && c.match(range, bits));
    });
  };
  const allowsName = (name: string): boolean =>
    allow.names.has(name) ||
    (!METADATA_NAMES.has(name) && allow.suffixes.some((s) => name.endsWith(s)));
  /** With `nameAllowed`, only metadata addresses stay refused. */
  const addressRefusal = (ip: Address, nameAllowed: boolean): string | null => {
    if (allowsAddress(ip)) return null;
    if (isMetadataAddress(ip)) return 'metadata';
    return nameAllowed ? null : rangeRefusal(ip);
  };

  const checkUrl = (url: string): void => {
    const parsed = URL.parse(url);
    if (parsed === null) {
      throw new TrawlError('invalid_url', `not a URL: ${url}`, { finalUrl: url });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new TrawlError(
        'unsupported_scheme',
        `only http: and https: are fetched, not ${parsed.protocol}`,
        { finalUrl: url },
      );
    }
    // The WHATWG parser has already turned 127.1, 2130706433 and 0x7f000001 into
    // 127.0.0.1; net.isIP is the test net.connect itself uses to skip the lookup.
    const host = unbracket(parsed.hostname);
    if (net.isIP(host) !== 0) {
      const reason = addressRefusal(ipaddr.parse(host), false);
      if (reason !== null) throw blocked(`${host} is ${reason}`, url);
      return;
    }
    const name = trimDots(host);
    if (allowsName(name)) return;
    const reason = nameRefusal(name);
    if (reason !== null) throw blocked(`${name} is ${reason}`, url);
  };

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    const name = trimDots(hostname);
    const nameAllowed = allowsName(name);
    const named = nameAllowed ? null : nameRefusal(name);
    if (named !== null) {
      process.nextTick(callback, blocked(`${name} is ${named}`), '');
      return;
    }
    resolve(hostname, { ...lookupOptions, all: true }, (err, result, family) => {
      if (err !== null) return callback(err, '');
      // A custom resolver may answer a single address despite `all: true`.
      const addresses = Array.isArray(result) ? result : [{ address: result, family: family ?? 0 }];
      for (const { address } of addresses) {
        const reason = net.isIP(address) === 0 ? 'not an IP address' : null;
        const refused = reason ?? addressRefusal(ipaddr.parse(address), nameAllowed);
        if (refused !== null) {
          return callback(blocked(`${name} resolves to ${address}, which is ${refused}`), '');
        }
      }
      const first = addresses[0];
      if (first === undefined) {
        const notFound: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        notFound.code = 'ENOTFOUND';
        return callback(notFound, '');
      }
      if (lookupOptions.all === true) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };

  return {
    checkUrl,
    lookup,
    isAllowedAddress: (ip) =>
      net.isIP(unbracket(ip)) !== 0 && allowsAddress(ipaddr.parse(unbracket(ip))),
    refusal: (ip) => {
      const bare = unbracket(ip);
      return net.isIP(bare) === 0 ? 'not an IP address' : addressRefusal(ipaddr.parse(bare), false);
    },
  };
}

/**
 * Parses allow entries (see AddressGuardSpec.allow). Throws UsageError naming the first
 * malformed entry, so a typo in TRAWL_ALLOW_TARGETS fails at start-up, not silently.
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const ranges: Array<readonly [Address, number]> = [];
  const names = new Set<string>();
  const suffixes: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const bad = (why: string) =>
      new UsageError(`addressGuard.allow entry ${JSON.stringify(raw)} ${why}`);
    if (entry === '') throw bad('is empty');
    if (entry.includes('://')) throw bad('is a URL: give a host name or a CIDR range');
    const slash = entry.lastIndexOf('/');
    if (slash !== -1) {
      const addr = unbracket(entry.slice(0, slash));
      const bitsText = entry.slice(slash + 1);
      const family = net.isIP(addr);
      const max = family === 4 ? 32 : 128;
      if (family === 0) throw bad('is not a CIDR range like 10.0.0.0/8 or fd00::/8');
      if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) {
        throw bad(`has a prefix length that is not a number from 0 to ${max}`);
      }
      ranges.push([ipaddr.parse(addr), Number(bitsText)]);
      continue;
    }
    const bare = unbracket(entry);
    if (net.isIP(bare) !== 0) {
      ranges.push([ipaddr.parse(bare), net.isIP(bare) === 4 ? 32 : 128]);
      continue;
    }
    const wildcard = entry.startsWith('*.');
    const name = hostName(wildcard ? entry.slice(2) : entry);
    if (name === null) {
      throw bad('is not a host name (localhost, *.internal.example), an address or a CIDR range');
    }
    if (net.isIP(name) !== 0) {
      // "127.1" and the like: the WHATWG parser made an address of it.
      if (wildcard) throw bad('is a wildcard over an IP address');
      ranges.push([ipaddr.parse(name), name.includes(':') ? 128 : 32]);
    } else if (wildcard) suffixes.push(`.${name}`);
    else names.add(name);
  }
  return { ranges, names, suffixes };
}

/** Why a name is refused before any lookup, or null. */
function nameRefusal(name: string): string | null {
  // RFC 6761: localhost and its subdomains are loopback whatever DNS says.
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback (localhost)';
  if (METADATA_NAMES.has(name)) return 'a metadata host';
  return null;
}

function isMetadataAddress(ip: Address): boolean {
  if (METADATA_ADDRESSES.has(ip.toString())) return true;
  const inner = embeddedIPv4(ip);
  return inner.some((v4) => METADATA_ADDRESSES.has(v4.toString()));
}

/**
 * The range that makes an address unfetchable, or null for public unicast. IPv6 forms
 * carrying an IPv4 address (mapped, SIIT, NAT64, 6to4, Teredo) are judged by that
 * address, since the packets end up there.
 */
function rangeRefusal(ip: Address): string | null {
  if (ip.kind() === 'ipv4') {
    const range = ip.range();
    return range === 'unicast' ? null : label(range);
  }
  const v6 = ip as ipaddr.IPv6;
  const range = v6.range();
  const inner = embeddedIPv4(v6);
  if (inner.length > 0) {
    for (const v4 of inner) {
      const why = rangeRefusal(v4);
      if (why !== null) return `the ${label(range)} form of ${v4.toString()} (${why})`;
    }
    return null;
  }
  if (range === 'rfc6052') return 'NAT64 local-use';
  if (range !== 'unicast') return label(range);
  return v6.match(GLOBAL_UNICAST) ? null : 'outside global unicast 2000::/3';
}

/** The IPv4 addresses an IPv6 address stands for; empty for a native one. */
function embeddedIPv4(ip: Address): ipaddr.IPv4[] {
  if (ip.kind() === 'ipv4') return [];
  const p = (ip as ipaddr.IPv6).parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const at = (i: number) => p[i] ?? 0;
  switch ((ip as ipaddr.IPv6).range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return [v4(at(6), at(7))];
    case 'rfc6052':
      return (ip as ipaddr.IPv6).match(NAT64) ? [v4(at(6), at(7))] : [];
    case '6to4':
      return [v4(at(1), at(2))];
    case 'teredo':
      // Server, then the client's public address (stored inverted, RFC 4380).
      return [v4(at(2), at(3)), v4(~at(6) & 0xffff, ~at(7) & 0xffff)];
    default:
      return [];
  }
}

/** A host name entry in the URL parser's form (lower case, punycode), or null. */
function hostName(text: string): string | null {
  if (!/^[^\s/:@?#*[\]\\]+$/.test(text)) return null;
  const url = URL.parse(`http://${text}/`);
  if (url === null || url.host !== url.hostname) return null;
  const name = trimDots(url.hostname);
  return name === '' || name.includes('..') ? null : name;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** "localhost." is "localhost": a trailing dot only makes a name absolute. */
function trimDots(name: string): string {
  let end = name.length;
  while (end > 0 && name.charCodeAt(end - 1) === 0x2e) end--;
  return end === name.length ? name.toLowerCase() : name.slice(0, end).toLowerCase();
}

/** @param url the URL refused, when known (a lookup knows only the host). */
function blocked(why: string, url?: string): TrawlError {
  return new TrawlError(
    'blocked_address',
    `${why}: the service may not fetch private, loopback, link-local or metadata addresses`,
    { finalUrl: url },
  );
}
