/**
 * A client's job spec made safe to run: every URL it names checked by the target policy
 * (the SSRF guard; the fetcher checks again at connect time, for every hop), the URL
 * count capped, nothing that reaches the server's own files or modules (pipeline handler
 * modules, export paths, notify targets: those are for the CLI's trusted pipeline
 * files), and the guard set on the spec so every worker enforces it.
 */
import type { CrawlSpec } from '../config/crawl-spec.js';
import { crawlSpecSchema, DEFAULT_CAPTCHA_API_URL } from '../config/crawl-spec.js';
import { TrawlError } from '../core/errors.js';
import { ApiError } from './api-error.js';
import type { ApiSettings, TargetPolicy } from './app-deps.js';

/**
 * A job's spec as the API shows it: without what the server set (the address guard,
 * where artifacts go) and with the CAPTCHA solver's key masked (a paid account's secret).
 */
export function specView(spec: Record<string, unknown>): Record<string, unknown> {
  const { addressGuard: _guard, artifacts: _artifacts, ...shown } = spec;
  if (typeof shown.captchaKey === 'string') {
    shown.captchaKey = `…${shown.captchaKey.slice(-4)}`;
  }
  return shown;
}

/** Checks one client URL; `field` names it in the error. */
export function checkTarget(targets: TargetPolicy, url: string, field: string): void {
  try {
    targets.check(url);
  } catch (err) {
    if (err instanceof TrawlError) {
      throw new ApiError('target_refused', `${field}: ${err.message}`, {
        field,
        details: { reason: err.code },
      });
    }
    throw err;
  }
}

export function checkUrlCount(settings: ApiSettings, count: number, field: string): void {
  if (count > settings.maxUrls) {
    throw new ApiError(
      'invalid_request',
      `${field}: at most ${settings.maxUrls} URLs per request`,
      {
        field,
      },
    );
  }
}

/**
 * The spec the service runs for a client's `input` (already shape-checked): defaults
 * filled in, the guard set. Throws ApiError naming the field at fault.
 */
export function clientSpec(
  input: Record<string, unknown>,
  targets: TargetPolicy,
  settings: ApiSettings,
  fieldPrefix = 'body',
): CrawlSpec {
  const parsed = crawlSpecSchema.safeParse({ ...input, addressGuard: targets.guard });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = [fieldPrefix, ...issue.path.map(String)].join('.');
    throw new ApiError('invalid_request', `${field}: ${issue.message}`, { field });
  }
  const spec = parsed.data;
  checkUrlCount(settings, spec.seeds.length, `${fieldPrefix}.seeds`);
  spec.seeds.forEach((seed, i) => checkTarget(targets, seed, `${fieldPrefix}.seeds.${i}`));
  checkClientPipeline(spec.pipeline, `${fieldPrefix}.pipeline`);
  // A proxy is a host the service would connect to for the client, past the guard.
  for (const field of ['proxies', 'proxyListUrl', 'proxyCheckUrl'] as const) {
    const value = spec[field];
    if (value !== null && (!Array.isArray(value) || value.length > 0)) {
      throw new ApiError(
        'unsupported_option',
        `${fieldPrefix}.${field}: proxies are set by the server's operator (trawl crawl --proxy), not through the API`,
        { field: `${fieldPrefix}.${field}` },
      );
    }
  }
  // The solver's API is another host the service would call for the client, unguarded.
  if (spec.captchaApiUrl !== DEFAULT_CAPTCHA_API_URL) {
    throw new ApiError(
      'unsupported_option',
      `${fieldPrefix}.captchaApiUrl: the CAPTCHA service's address is set by the server's operator (trawl crawl --captcha-api-url), not through the API`,
      { field: `${fieldPrefix}.captchaApiUrl` },
    );
  }
  if (spec.captchaKey !== null && !spec.sessions) {
    throw new ApiError(
      'invalid_request',
      `${fieldPrefix}.captchaKey: needs sessions: true (a solved CAPTCHA's cookies live in a session)`,
      { field: `${fieldPrefix}.captchaKey` },
    );
  }
  if (spec.artifacts !== null) {
    throw new ApiError(
      'unsupported_option',
      `${fieldPrefix}.artifacts: where screenshots and PDFs are stored is the server's setting (TRAWL_ARTIFACTS), not the API's; read them at /trawl/v1/jobs/{id}/artifacts/{file}`,
      { field: `${fieldPrefix}.artifacts` },
    );
  }
  if (spec.screenshot !== 'none' || spec.pdf || spec.errorScreenshots) {
    spec.artifacts = settings.artifactsTarget;
  }
  return spec;
}

/** Pipeline settings a client may not use: they reach the server's files or other hosts unguarded. */
function checkClientPipeline(pipeline: Record<string, unknown> | null, field: string): void {
  if (pipeline === null) return;
  const refuse = (path: string, why: string): never => {
    throw new ApiError('unsupported_option', `${path}: ${why}`, { field: path });
  };
  const handlers = pipeline.handlers;
  if (Array.isArray(handlers) && handlers.length > 0) {
    refuse(
      `${field}.handlers`,
      'handler modules cannot be loaded through the API (built-in handlers only)',
    );
  }
  const checkStep = (name: unknown, options: unknown, path: string): void => {
    if (typeof options !== 'object' || options === null) return;
    const o = options as Record<string, unknown>;
    if (name === 'export' && o.path !== undefined) {
      refuse(
        `${path}.path`,
        'export files cannot be written on the server through the API; read the results instead',
      );
    }
    if (name === 'notify' && Array.isArray(o.targets) && o.targets.length > 0) {
      refuse(
        `${path}.targets`,
        'notify targets cannot be set through the API; use the job webhook',
      );
    }
  };
  if (Array.isArray(pipeline.steps)) {
    pipeline.steps.forEach((step: unknown, i) => {
      if (typeof step !== 'object' || step === null) return;
      const s = step as Record<string, unknown>;
      checkStep(s.handler ?? s.name, s.options, `${field}.steps.${i}.options`);
    });
  }
  const options = pipeline.options;
  if (typeof options === 'object' && options !== null) {
    for (const [name, value] of Object.entries(options)) {
      checkStep(name, value, `${field}.options.${name}`);
    }
  }
}
