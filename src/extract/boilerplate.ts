/**
 * What is not a page's main content: navigation, site header and footer, sidebars,
 * forms, cookie and consent dialogs, ads, share widgets. Judged per element, from its
 * tag, ARIA role, and class/id tokens, the way Readability's "unlikely candidates" are.
 */
import type { Element } from 'domhandler';
import type { AnyNode } from 'domhandler';
import { isElement } from './dom/dom-utils.js';

const BOILERPLATE_TAGS = new Set(['nav', 'aside', 'footer', 'form', 'dialog', 'menu']);

const BOILERPLATE_ROLES = new Set([
  'navigation',
  'banner',
  'contentinfo',
  'complementary',
  'search',
  'dialog',
  'alertdialog',
  'menu',
  'menubar',
  'toolbar',
  'tablist',
]);

/**
 * A class or id token that starts with one of these words marks boilerplate
 * ("cookie-banner", "share_buttons", "ad-slot", but not "has-sidebar" or "address").
 */
const BOILERPLATE_TOKEN =
  /(?:^|\s)(?:cookies?|consent|gdpr|cmp|onetrust|cookiebot|advert\w*|ads?|adsbygoogle|dfp|sponsor\w*|promo|share|sharing|sharedaddy|social|addthis|breadcrumbs?|sidebar|newsletter|subscribe|popup|modal|overlay|related|recommended|comments?|disqus|skip|skiplink|masthead|navbar|nav|menu|toolbar|pagination|pager|site-header|site-footer|global-header|global-footer|banner)(?:$|[\s_-])/i;

/** Tokens that keep an element even when another token looks like boilerplate. */
const CONTENT_TOKEN =
  /(?:^|[\s_-])(?:article|content|main|post|entry|story|body|text)(?:$|[\s_-])/i;

/** Whether `el` is boilerplate to drop from main content. */
export function isBoilerplate(el: Element): boolean {
  const name = el.name;
  if (BOILERPLATE_TAGS.has(name)) return true;
  const a = el.attribs;
  const role = a.role;
  if (role !== undefined && BOILERPLATE_ROLES.has(role.trim().toLowerCase())) return true;
  if (a['aria-modal'] === 'true') return true;
  if (name === 'header') return !hasHeading(el);
  const cls = a.class;
  const id = a.id;
  if (cls === undefined && id === undefined) return false;
  const tokens = id === undefined ? (cls as string) : cls === undefined ? id : `${cls} ${id}`;
  return BOILERPLATE_TOKEN.test(tokens) && !CONTENT_TOKEN.test(tokens);
}

/**
 * A `<header>` with a heading and no navigation is the article's own header (its title
 * and byline): kept. Iterative search, bounded by the element's size.
 */
function hasHeading(el: Element): boolean {
  const stack: AnyNode[] = [...el.children];
  let found = false;
  while (stack.length > 0) {
    const n = stack.pop() as AnyNode;
    if (!isElement(n)) continue;
    if (n.name === 'nav') return false;
    if (/^h[1-3]$/.test(n.name)) found = true;
    for (const c of n.children) stack.push(c);
  }
  return found;
}
