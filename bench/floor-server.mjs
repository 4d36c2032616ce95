// The floor of the start-up benchmark: a bare Node process that imports express and prom-client
// and serves one registry (with prom-client's default metrics, as the exporter has) on /metrics.
// Plain JavaScript run by plain node, like the compiled exporter, so the two compare alike.
import express from 'express';
import { Registry, collectDefaultMetrics } from 'prom-client';

const registry = new Registry();
collectDefaultMetrics({ register: registry });
const app = express();
app.get('/metrics', async (_req, res) => {
  res.type(registry.contentType).send(await registry.metrics());
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
