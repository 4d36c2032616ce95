// Renders the kustomize overlays the way `kubectl apply -k` would, and parses the result as
// Kubernetes does (YAML 1.1). Imported by tests only.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const K8S_DIR = join(import.meta.dirname, '..', '..', '..', 'k8s');
export const OVERLAYS = ['paper', 'live', 'aks'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** A Kubernetes object as rendered; fields are read through the helpers below. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export function hasCommand(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

export const KUBECTL = hasCommand('kubectl', ['version', '--client']);

/** Parses a multi-document manifest as YAML 1.1, failing on any parse error or warning. */
export function parseManifests(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text, { version: '1.1', strict: true })
    .map((doc) => {
      const problems = [...doc.errors, ...doc.warnings];
      if (problems.length > 0) throw new Error(`${source}: ${problems.map((p) => p.message).join('; ')}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null);
}

/**
 * A copy of k8s/ in a temporary directory, with every overlay's secret env files made from its
 * *.env.example, so rendering never reads (or depends on) a developer's real secrets.
 */
export function prepareTree(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'k8s-render-'));
  cpSync(K8S_DIR, root, { recursive: true, filter: (src) => !src.endsWith('.env') });
  for (const overlay of readdirSync(join(root, 'overlays'))) {
    const dir = join(root, 'overlays', overlay);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.env.example'))) {
      cpSync(join(dir, name), join(dir, name.replace(/\.example$/, '')));
    }
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function kustomize(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseManifests(result.stdout, dir);
}
