/** The error body of Trawl's own routes, for the OpenAPI document. */
import { z } from 'zod';

export const errorBody = z.object({
  error: z.object({
    code: z.string().describe('Stable, machine-readable (see docs/api.md)'),
    message: z.string(),
    field: z.string().optional().describe('The request field at fault, e.g. body.seeds.0'),
    details: z.unknown().optional(),
  }),
});
