/**
 * `--crawler-cmd` templates: a command line with {placeholders}, split into argv the way
 * a shell would split words (quotes group, backslash escapes), but never run by a shell,
 * so the measured process is the crawler itself and not `sh`.
 */

/**
 * Splits `template` into words, then replaces `{name}` in each word with `vars[name]`.
 * Substituted values are never re-split, so paths with spaces stay one argument.
 */
export function expandCommand(template: string, vars: Record<string, string>): string[] {
  return splitWords(template).map((word) =>
    word.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) => {
      const value = vars[name];
      if (value === undefined) {
        throw new Error(
          `unknown placeholder ${whole} in --crawler-cmd (known: ${Object.keys(vars).join(', ')})`,
        );
      }
      return value;
    }),
  );
}

function splitWords(s: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) word += s[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      word += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} in --crawler-cmd`);
  if (inWord) words.push(word);
  return words;
}
