// GET /: the small HTML page every Prometheus exporter answers on its root (exporter-toolkit's
// landing_page.go): what this is, which build, the gateway's state, and where to go next.
import express from 'express';
import type { Health } from '../domain/health.js';

export interface LandingDeps {
  version: string;
  revision: string;
  nodeversion: string;
  health: Health;
  /** Set when the REST API has a listener of its own: its links then point there. */
  apiPort?: number;
}

const DOCS = 'https://github.com/ibkr-pnl-exporter/ibkr-pnl-exporter#readme';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function landingPage(deps: LandingDeps): string {
  const { health } = deps;
  const api = deps.apiPort === undefined ? '' : ` (on the API port, ${deps.apiPort})`;
  const link = (path: string, text: string, note = '') =>
    `<li>${note ? `${escape(path)}${note}` : `<a href="${escape(path)}">${escape(path)}</a>`}: ${escape(text)}</li>`;
  const gateway = health.gateway
    ? `server version ${health.gateway.serverVersion}${health.gateway.timeZone ? `, ${health.gateway.timeZone}` : ''}`
    : 'no handshake yet';
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>IBKR PnL Exporter</title></head>
<body>
<h1>IBKR PnL Exporter</h1>
<p>Prometheus exporter for Interactive Brokers positions, executions and PnL.</p>
<p>Version ${escape(deps.version)}, revision ${escape(deps.revision)}, Node ${escape(deps.nodeversion)}</p>
<p>Gateway: <strong>${escape(health.state)}</strong> (${escape(gateway)})${health.accounts.length > 0 ? `, accounts ${escape(health.accounts.join(', '))}` : ''}</p>
<ul>
${link('/metrics', 'metrics')}
${link('/sync/health', 'sync and connection state, JSON', api)}
${link('/openapi.json', 'the REST API, OpenAPI 3.1', api)}
<li><a href="${DOCS}">documentation</a></li>
</ul>
</body>
</html>
`;
}

export function landingRouter(deps: LandingDeps): express.Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    res.type('html').send(landingPage(deps));
  });
  return router;
}
