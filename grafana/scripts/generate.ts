// `npm run dashboards`: writes grafana/dashboards/*.json from the TypeScript sources in
// grafana/src. The JSON is committed; grafana/dashboards.test.ts fails when it is out of date.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderDashboards } from '../src/dashboards.js';

const OUT = fileURLToPath(new URL('../dashboards/', import.meta.url));

const rendered = await renderDashboards();
// A dashboard removed from the sources must not linger as a stale file.
for (const file of readdirSync(OUT)) {
  if (file.endsWith('.json') && !rendered.has(file)) rmSync(`${OUT}${file}`);
}
for (const [file, json] of rendered) {
  writeFileSync(`${OUT}${file}`, json);
  console.log(`wrote grafana/dashboards/${file}`);
}
