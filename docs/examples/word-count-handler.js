// A user handler for Trawl's chain (docs/plugins.md): counts the words of a text field.
// Load it from a pipeline file:
//
//   handlers: [./word-count-handler.js]
//   steps:
//     - handler: word-count
//       options: { field: text, minWords: 3 }
//
// The module's default export is a handler (or an array of them): a name, a one-line
// description, an options schema (anything with safeParse(); zod here) and run().
import { z } from 'zod';

/**
 * A failure the chain records with its code. Trawl recognises it by `name` and `code`
 * (never instanceof), so a plugin can define its own instead of importing Trawl's.
 */
class HandlerError extends Error {
  constructor(code, message, details) {
    super(message);
    this.name = 'HandlerError';
    this.code = code;
    this.details = details;
  }
}

const options = z.strictObject({
  /** Field holding the text. */
  field: z.string().min(1).default('text'),
  /** Field the count goes to. */
  target: z.string().min(1).default('wordCount'),
  /** Drop items with fewer words. */
  minWords: z.number().int().min(0).optional(),
  /** Fail items without the text field (otherwise they pass with a warning). */
  required: z.boolean().default(false),
});

export default {
  name: 'word-count',
  description: 'counts the words of a text field (example plugin)',
  options,
  run(item, ctx) {
    const { field, target, minWords, required } = ctx.options;
    const text = item[field];
    if (typeof text !== 'string') {
      if (required)
        throw new HandlerError('word_count_no_text', `no text in "${field}"`, { field });
      ctx.log('warn', `no text in "${field}"; not counted`);
      return item;
    }
    const count = text.split(/\s+/u).filter(Boolean).length;
    if (minWords !== undefined && count < minWords) {
      return { drop: true, reason: `${count} words, fewer than ${minWords}` };
    }
    // A new object: handlers never change the item they are given.
    return { ...item, [target]: count };
  },
};
