/** Parts of a canonical URL string, read without re-parsing it (hot path: every link). */

/** Host (URL.host: lower-case, port when not the default) of a canonical http(s) URL. */
export function hostOf(url: string): string {
  const start = url.indexOf('//') + 2;
  let end = url.indexOf('/', start);
  if (end === -1) end = url.length;
  const at = url.lastIndexOf('@', end);
  return url.slice(at >= start ? at + 1 : start, end);
}

/** Origin ("scheme://host[:port]", no userinfo) of a canonical http(s) URL. */
export function originOf(url: string): string {
  const scheme = url.indexOf('//');
  return url.slice(0, scheme + 2) + hostOf(url);
}
