/**
 * `{{field.path}}` templates for notify. Missing values render as ''; objects and arrays
 * as JSON. In an email's HTML body every substituted value is HTML-escaped (the template
 * itself is trusted, the item is not). Special names: `_item` (the whole item), `_jobId`,
 * `_errors` (earlier handlers' failures, "handler: code: message" joined by "; ").
 */
import { getPath } from '../fields/field-path.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z_$][\w$.-]*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_$][\w$.-]*)\s*\}\}$/;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** What a template can name: the item's fields plus the special names. */
export type TemplateScope = Record<string, unknown>;

/** Renders a string template. */
export function renderTemplate(template: string, scope: TemplateScope, html = false): string {
  return template.replace(PLACEHOLDER, (_m, path: string) => {
    const text = asText(getPath(scope, path));
    return html ? escapeHtml(text) : text;
  });
}

/**
 * Renders a JSON template (a webhook body): strings are rendered, and a string that is a
 * single placeholder ("{{price}}") takes the value itself, keeping its JSON type.
 */
export function renderJson(template: unknown, scope: TemplateScope): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    return whole !== null ? (getPath(scope, whole[1]!) ?? null) : renderTemplate(template, scope);
  }
  if (Array.isArray(template)) return template.map((t) => renderJson(t, scope));
  if (typeof template === 'object' && template !== null) {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderJson(v, scope)]));
  }
  return template;
}
