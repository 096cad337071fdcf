/**
 * HTML character-reference decoding for the few strings the page scanner keeps (hrefs,
 * rel, robots content, the title). The scanner tokenizes with entity decoding off,
 * which lets htmlparser2 skip through text several times faster; these functions then
 * decode just what is kept, with htmlparser2's own decoder, so the results are the same
 * as a decoding parse: including the HTML rule that in attribute values a legacy entity
 * without ";" followed by "=" or an alphanumeric is left alone ("?a=1&copy=2").
 */
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';

const { fromCodePoint } = String;

/** Collects the decoded pieces a decoding tokenizer reports for one input. */
class Collector implements TokenizerCallbacks {
  input = '';
  out = '';

  ontext(start: number, end: number): void {
    this.out += this.input.slice(start, end);
  }
  ontextentity(cp: number): void {
    this.out += fromCodePoint(cp);
  }
  onattribdata(start: number, end: number): void {
    this.out += this.input.slice(start, end);
  }
  onattribentity(cp: number): void {
    this.out += fromCodePoint(cp);
  }
  onattribend(): void {}
  onattribname(): void {}
  oncdata(): void {}
  onclosetag(): void {}
  oncomment(): void {}
  ondeclaration(): void {}
  onend(): void {}
  onopentagend(): void {}
  onopentagname(): void {}
  onprocessinginstruction(): void {}
  onselfclosingtag(): void {}
}

const collector = new Collector();
const tokenizer = new Tokenizer({ decodeEntities: true }, collector);

function run(input: string): string {
  collector.input = input;
  collector.out = '';
  tokenizer.reset();
  tokenizer.write(input);
  tokenizer.end();
  return collector.out;
}

/** Decodes the raw text of an attribute value, by attribute-value rules. */
export function decodeAttribute(raw: string): string {
  const amp = raw.indexOf('&');
  if (amp === -1) return raw;
  if (onlyAmpEntities(raw, amp)) return raw.replaceAll('&amp;', '&');
  // Embed the value in a double-quoted attribute; a '"' it holds must not end it early.
  const quoted = raw.indexOf('"') === -1 ? raw : raw.replaceAll('"', '&quot;');
  return run(`<a v="${quoted}">`);
}

/** True when every '&' from `from` on starts "&amp;", by far the commonest case in hrefs. */
function onlyAmpEntities(raw: string, from: number): boolean {
  for (let i = from; i !== -1; i = raw.indexOf('&', i + 5)) {
    if (!raw.startsWith('amp;', i + 1)) return false;
  }
  return true;
}

/** Decodes raw text (e.g. the content of `<title>`), by text rules. */
export function decodeText(raw: string): string {
  if (raw.indexOf('&') === -1) return raw;
  // Text content here is RCDATA, where '<' is literal; in the text state it would open a tag.
  return run(raw.indexOf('<') === -1 ? raw : raw.replaceAll('<', '&lt;'));
}
