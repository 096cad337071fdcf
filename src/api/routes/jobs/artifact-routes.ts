/**
 * A job's screenshots and PDFs (spec `screenshot`, `pdf`, `errorScreenshots`), served
 * from the service's artifact store by the file name their record's location ends with.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ARTIFACT_FILE, artifactFolder } from '../../../storage/artifacts/artifact-keys.js';
import { ApiError } from '../../api-error.js';
import type { AppDeps } from '../../app-deps.js';
import { TRAWL_API_PREFIX } from './job-routes.js';

const artifactParams = z.object({
  id: z.string().min(1).max(128),
  file: z
    .string()
    .regex(
      ARTIFACT_FILE,
      'an artifact file name: <sha1 of the URL>-<screenshot|pdf|errorScreenshot>.<png|pdf>',
    ),
});

/** The link to an artifact of a job, from the service's public base. */
export function artifactUrl(publicUrl: string, jobId: string, file: string): string {
  return `${publicUrl}${TRAWL_API_PREFIX}/jobs/${encodeURIComponent(jobId)}/artifacts/${file}`;
}

export function artifactRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    `${TRAWL_API_PREFIX}/jobs/:id/artifacts/:file`,
    {
      schema: {
        tags: ['results'],
        summary:
          "A page's screenshot or PDF (the file its record's fields.screenshot, pdf or errorScreenshot names)",
        params: artifactParams,
        // 200: the PNG or PDF bytes (image/png, application/pdf).
      },
    },
    async (request, reply) => {
      const { id, file } = request.params;
      if ((await deps.jobs.get(id)) === null) throw new ApiError('job_not_found', `no job ${id}`);
      const found = await deps.artifacts.get(`${artifactFolder(id)}/${file}`);
      if (found === null) {
        throw new ApiError('not_found', `job ${id} has no artifact ${file}`);
      }
      return reply
        .header('content-type', found.contentType)
        .header('cache-control', 'private, max-age=86400, immutable')
        .send(found.body);
    },
  );
}
