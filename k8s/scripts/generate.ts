// `npm run manifests`: writes the generated files of k8s/components/monitoring.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate, ROOT } from './manifests.js';

for (const file of await generate()) {
  writeFileSync(join(ROOT, file.path), file.text);
  console.log(`wrote ${file.path}`);
}
