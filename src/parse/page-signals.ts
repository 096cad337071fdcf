/**
 * What `--engine auto` compares between a page as the server sent it and as a browser
 * renders it: the visible text, the links, and the marks of a page that only scripts
 * fill (a framework's empty root element, a "please enable JavaScript" notice, a body
 * that is little but script tags). One streaming pass of htmlparser2; no DOM is built.
 */
import { Parser } from 'htmlparser2';

export interface PageSignals {
  /** Non-space characters of text a reader sees (not in script, style, template, head…). */
  textChars: number;
  /** Absolute http(s) URLs of a[href] and area[href], without fragments. */
  links: Set<string>;
  /** <script> elements. */
  scripts: number;
  /** An app root element (#root, #app, #__next, [ng-app], …) with no text in it. */
  emptyAppRoot: boolean;
  /** A <noscript> asking for JavaScript. */
  asksForJavaScript: boolean;
}

/** Elements whose text no reader sees. */
const HIDDEN = new Set(['script', 'style', 'template', 'noscript', 'head', 'title', 'svg']);
/** Ids frameworks mount into. */
const ROOT_IDS = new Set(['root', 'app', '__next', '__nuxt', '___gatsby', 'svelte', 'main-app']);
const ROOT_ATTRIBUTES = ['ng-app', 'data-reactroot', 'ng-version', 'data-server-rendered'];
const ASKS_FOR_JS =
  /enable\s+javascript|javascript\s+(?:is\s+)?(?:required|disabled)|requires?\s+javascript/i;
const SPACE = /\s+/g;

/** The signals of one HTML document. `url` resolves relative links (and <base href>). */
export function pageSignals(html: string, url: string): PageSignals {
  const signals: PageSignals = {
    textChars: 0,
    links: new Set(),
    scripts: 0,
    emptyAppRoot: false,
    asksForJavaScript: false,
  };
  let base: URL | null = safeUrl(url, undefined);
  let hiddenDepth = 0;
  let inNoscript = 0;
  let noscriptText = '';
  /** Open app roots: their tag and the text count when they opened. */
  const roots: { name: string; depth: number; textAt: number }[] = [];
  let depth = 0;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        depth++;
        if (HIDDEN.has(name)) hiddenDepth++;
        if (name === 'noscript') inNoscript++;
        if (name === 'script') signals.scripts++;
        else if (name === 'base' && attributes.href !== undefined && base !== null) {
          base = safeUrl(attributes.href, base) ?? base;
        } else if ((name === 'a' || name === 'area') && attributes.href !== undefined) {
          const link = safeUrl(attributes.href.trim(), base ?? undefined);
          if (link !== null && (link.protocol === 'http:' || link.protocol === 'https:')) {
            link.hash = '';
            signals.links.add(link.href);
          }
        }
        const id = attributes.id;
        if (
          (id !== undefined && ROOT_IDS.has(id)) ||
          ROOT_ATTRIBUTES.some((a) => attributes[a] !== undefined)
        ) {
          roots.push({ name, depth, textAt: signals.textChars });
        }
      },
      ontext(text) {
        if (hiddenDepth === 0) {
          signals.textChars += text.replace(SPACE, '').length;
        } else if (inNoscript > 0 && noscriptText.length < 2000) {
          noscriptText += text;
        }
      },
      onclosetag(name) {
        const root = roots[roots.length - 1];
        if (root !== undefined && root.depth === depth && root.name === name) {
          roots.pop();
          if (signals.textChars - root.textAt < 20) signals.emptyAppRoot = true;
        }
        if (HIDDEN.has(name)) hiddenDepth = Math.max(0, hiddenDepth - 1);
        if (name === 'noscript' && inNoscript > 0) {
          inNoscript--;
          if (ASKS_FOR_JS.test(noscriptText)) signals.asksForJavaScript = true;
          noscriptText = '';
        }
        depth--;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  return signals;
}

/**
 * Whether a page as served looks like a shell that scripts fill: little visible text and
 * scripts to fill it, an empty app root, or a notice asking for JavaScript.
 */
export function looksLikeShell(signals: PageSignals): boolean {
  if (signals.scripts === 0) return false;
  if (signals.textChars < 200) return true;
  return (signals.emptyAppRoot || signals.asksForJavaScript) && signals.textChars < 1500;
}

function safeUrl(href: string, base: URL | undefined): URL | null {
  try {
    return new URL(href, base);
  } catch {
    return null;
  }
}
