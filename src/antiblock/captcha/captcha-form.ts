/**
 * The form a CAPTCHA widget sits in, read from the block page's HTML the way a browser
 * would submit it once the widget has its token: the form's action (resolved against
 * the page's `<base href>` or URL), its method, its successful controls (hidden and text
 * inputs, checked boxes, textareas, selects), and the field the widget writes its token
 * to (`g-recaptcha-response`, `h-captcha-response`, `cf-turnstile-response`).
 *
 * Only what a generic submission can honour: a widget outside any form (a page that
 * sends the token from script), a `method="dialog"` form or a multipart / text/plain one
 * is reported as not submittable, with the reason, before anything is spent on a solve.
 */
import { Parser } from 'htmlparser2';
import type { CaptchaChallenge } from '../block-markers.js';

export interface CaptchaForm {
  /** Where the form goes (absolute http(s)). */
  action: string;
  method: 'GET' | 'POST';
  /** The form's own controls, name and value, in document order (token fields left out). */
  fields: [string, string][];
  /** The fields the token is submitted in. */
  tokenFields: string[];
}

export type CaptchaFormLookup = { form: CaptchaForm } | { unsupported: string };

/** One form submission: a URL, and for a POST its urlencoded body. */
export interface FormRequest {
  url: string;
  method: 'GET' | 'POST';
  /** application/x-www-form-urlencoded; null for a GET (the fields are in the URL). */
  body: string | null;
}

const WIDGET_CLASS: Record<CaptchaChallenge['kind'], string> = {
  recaptcha_v2: 'g-recaptcha',
  recaptcha_v3: 'g-recaptcha',
  hcaptcha: 'h-captcha',
  turnstile: 'cf-turnstile',
};

/** Input types that are no form data unless clicked, or that a generic submission cannot fill. */
const SKIPPED_INPUTS = new Set(['submit', 'button', 'image', 'reset', 'file']);

interface OpenForm {
  attribs: Record<string, string>;
  fields: [string, string][];
  hasWidget: boolean;
}

/** The form around `challenge`'s widget in `html` (the page at `pageUrl`), or why there is none. */
export function captchaForm(
  html: string,
  pageUrl: string,
  challenge: CaptchaChallenge,
): CaptchaFormLookup {
  let base = pageUrl;
  let form: OpenForm | null = null;
  let found: OpenForm | null = null;
  let widgetOutside = false;
  let responseFieldName: string | null = null;
  /** The textarea or select being read, and its text so far. */
  let textarea: { name: string; text: string } | null = null;
  let select: { name: string; first: string | null; chosen: string | null } | null = null;
  let option: { value: string | null; selected: boolean; text: string } | null = null;

  const endOption = (): void => {
    if (option === null || select === null) return;
    const value = option.value ?? option.text.trim();
    if (select.first === null) select.first = value;
    if (option.selected) select.chosen = value;
    option = null;
  };
  const isWidget = (name: string, attribs: Record<string, string>): boolean => {
    const key = challenge.siteKey;
    if (key !== null && attribs['data-sitekey'] === key) return true;
    if (name === 'iframe' && key !== null && (attribs.src ?? '').includes(key)) return true;
    return (attribs.class ?? '').split(/\s+/).includes(WIDGET_CLASS[challenge.kind]);
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'base' && attribs.href !== undefined && base === pageUrl) {
          base = URL.parse(attribs.href, pageUrl)?.href ?? pageUrl;
          return;
        }
        if (name === 'form') {
          // A form inside a form is ignored by browsers, and so here.
          form ??= { attribs, fields: [], hasWidget: false };
          return;
        }
        if (found === null && isWidget(name, attribs)) {
          if (form === null) widgetOutside = true;
          else form.hasWidget = true;
          const custom = attribs['data-response-field-name'];
          if (challenge.kind === 'turnstile' && custom !== undefined && custom !== '') {
            responseFieldName = custom;
          }
        }
        if (form === null) return;
        const fieldName = attribs.name;
        const usable = fieldName !== undefined && fieldName !== '' && !('disabled' in attribs);
        if (name === 'input' && usable) {
          const type = (attribs.type ?? 'text').toLowerCase();
          if (SKIPPED_INPUTS.has(type)) return;
          if ((type === 'checkbox' || type === 'radio') && !('checked' in attribs)) return;
          const fallback = type === 'checkbox' || type === 'radio' ? 'on' : '';
          form.fields.push([fieldName, attribs.value ?? fallback]);
        } else if (name === 'textarea' && usable) {
          textarea = { name: fieldName, text: '' };
        } else if (name === 'select' && usable && !('multiple' in attribs)) {
          select = { name: fieldName, first: null, chosen: null };
        } else if (name === 'option' && select !== null) {
          endOption();
          option = { value: attribs.value ?? null, selected: 'selected' in attribs, text: '' };
        }
      },
      ontext(text) {
        if (textarea !== null) textarea.text += text;
        else if (option !== null) option.text += text;
      },
      onclosetag(name) {
        if (name === 'textarea' && textarea !== null) {
          // The parser keeps the newline right after <textarea>; browsers drop it.
          form?.fields.push([textarea.name, textarea.text.replace(/^\r?\n/, '')]);
          textarea = null;
        } else if (name === 'option') {
          endOption();
        } else if (name === 'select' && select !== null) {
          endOption();
          const value = select.chosen ?? select.first;
          if (value !== null) form?.fields.push([select.name, value]);
          select = null;
        } else if (name === 'form' && form !== null) {
          if (form.hasWidget) found ??= form;
          form = null;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(html);
  // An unclosed form runs to the end of the document.
  const open = form as OpenForm | null;
  if (found === null && open?.hasWidget === true) found = open;

  const within = found as OpenForm | null;
  if (within === null) {
    return {
      unsupported: widgetOutside
        ? 'the CAPTCHA widget is in no form (the page sends its token from script)'
        : 'no CAPTCHA widget element in the HTML (the page renders it from script)',
    };
  }
  const method = (within.attribs.method ?? 'get').trim().toLowerCase();
  if (method === 'dialog') return { unsupported: 'the CAPTCHA form is a dialog form' };
  const enctype = (within.attribs.enctype ?? '').trim().toLowerCase();
  if (method === 'post' && enctype !== '' && enctype !== 'application/x-www-form-urlencoded') {
    return { unsupported: `the CAPTCHA form posts ${enctype}, not urlencoded fields` };
  }
  const rawAction = (within.attribs.action ?? '').trim();
  const action = rawAction === '' ? URL.parse(pageUrl) : URL.parse(rawAction, base);
  if (action === null || (action.protocol !== 'http:' && action.protocol !== 'https:')) {
    return { unsupported: `the CAPTCHA form's action ${JSON.stringify(rawAction)} is not http(s)` };
  }
  action.hash = '';
  const tokenFields = tokenFieldsOf(challenge.kind, responseFieldName);
  return {
    form: {
      action: action.href,
      method: method === 'post' ? 'POST' : 'GET',
      fields: within.fields.filter(([name]) => !tokenFields.includes(name)),
      tokenFields,
    },
  };
}

/** The fields a widget fills with its token: hCaptcha also writes reCAPTCHA's, as its API does. */
function tokenFieldsOf(kind: CaptchaChallenge['kind'], turnstileField: string | null): string[] {
  switch (kind) {
    case 'recaptcha_v2':
    case 'recaptcha_v3':
      return ['g-recaptcha-response'];
    case 'hcaptcha':
      return ['h-captcha-response', 'g-recaptcha-response'];
    case 'turnstile':
      return [turnstileField ?? 'cf-turnstile-response'];
  }
}

/** The request that submits `form` with `token` in its token fields. */
export function formRequest(form: CaptchaForm, token: string): FormRequest {
  const data = new URLSearchParams(form.fields);
  for (const name of form.tokenFields) data.append(name, token);
  if (form.method === 'POST') return { url: form.action, method: 'POST', body: data.toString() };
  // A GET form replaces the action's query with its data (HTML's "mutate action URL").
  const url = new URL(form.action);
  url.search = data.toString();
  return { url: url.href, method: 'GET', body: null };
}
