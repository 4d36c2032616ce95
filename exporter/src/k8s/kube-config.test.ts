import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadKubeConfig } from './kube-config.js';

describe('loadKubeConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kube-config-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a kubeconfig that names no cluster instead of falling back to localhost:8080', () => {
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n');
    expect(() => loadKubeConfig(file)).toThrow(/^no Kubernetes configuration: /);
  });
});
