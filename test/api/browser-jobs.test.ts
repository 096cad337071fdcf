/**
 * Browser and auto jobs through the service, in both modes, with the address guard as a
 * stranger's job gets it (only 127.0.0.1 allowed here): a site whose links exist only
 * after its scripts run is crawled whole, and a page that redirects to a private address
 * (127.0.0.2: loopback, refused) fails as blocked_address — the private server is never
 * reached, not by the redirect, nor by the page's own XHR.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { findChromium } from '../../src/fetch/browser/browser-pool.js';
import { html, startTestServer, type TestServer } from '../support/http-server.js';
import { SERVICE_MODES, startTestService, type TestService } from '../support/service.js';

const chromium = findChromium(process.env.TRAWL_CHROMIUM_PATH);

interface ResultRow {
  url: string;
  status: number | null;
  error: string | null;
  title: string | null;
}

for (const mode of SERVICE_MODES) {
  describe(
    `browser jobs through the API (${mode})`,
    { skip: chromium === null ? 'no Chromium installed' : false, timeout: 180_000 },
    () => {
      let service: TestService;
      let site: TestServer;
      let secret: net.Server;
      let secretConnections = 0;
      before(async () => {
        secret = net.createServer((socket) => {
          secretConnections++;
          socket.destroy();
        });
        await new Promise<void>((r) => secret.listen(0, '127.0.0.2', () => r()));
        const inside = `http://127.0.0.2:${(secret.address() as net.AddressInfo).port}`;
        site = await startTestServer((req, res) => {
          const path = (req.url ?? '/').split('?')[0];
          const scripted = (title: string, links: string[]): string =>
            `<title>${title}</title><div id="root"></div><script>
              document.getElementById('root').innerHTML = ${JSON.stringify(
                `<p>${title}, rendered.</p>` + links.map((l) => `<a href="${l}">${l}</a>`).join(''),
              )};
              fetch('${inside}/xhr').catch(() => {});
            </script>`;
          if (path === '/') html(res, scripted('Home', ['/next', '/to-secret']));
          else if (path === '/next') html(res, scripted('Next', ['/']));
          else if (path === '/to-secret') res.writeHead(302, { location: `${inside}/x` }).end();
          else html(res, '<title>not found</title>', 404);
        });
        service = await startTestService(mode, { env: { TRAWL_ALLOW_TARGETS: '127.0.0.1' } });
      });
      after(async () => {
        await service?.close();
        await site?.close();
        await new Promise((r) => secret?.close(r));
      });

      for (const engine of ['browser', 'auto'] as const) {
        test(`engine ${engine}: the scripted site crawled, the private redirect refused`, async () => {
          const res = await request(`${service.url}/trawl/v1/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              seeds: [`${site.origin}/`],
              engine,
              // Any host: only the guard stands between the redirect and the private address.
              scope: 'any',
              delayMs: 0,
              maxRetries: 0,
            }),
          });
          const created = (await res.body.json()) as { id: string };
          assert.equal(res.statusCode, 201, JSON.stringify(created));
          const done = await service.waitForJob(created.id, ['completed', 'failed'], 90_000);
          assert.equal(done.state, 'completed', done.error ?? '');
          const got = await request(`${service.url}/trawl/v1/jobs/${created.id}/results?limit=50`);
          const rows = ((await got.body.json()) as { data: ResultRow[] }).data;
          const byPath = new Map(rows.map((r) => [new URL(r.url).pathname, r]));
          assert.deepEqual([...byPath.keys()].sort(), ['/', '/next', '/to-secret']);
          assert.equal(byPath.get('/next')?.title, 'Next');
          assert.equal(byPath.get('/to-secret')?.error, 'blocked_address');
          assert.equal(secretConnections, 0, 'the private address was never reached');
        });
      }
    },
  );
}
