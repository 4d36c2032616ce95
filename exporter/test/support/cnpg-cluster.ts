// CloudNativePG's Cluster (postgresql.cnpg.io/v1) for the schema checks of k8s-schema.ts. No models
// package of that CRD is published on npm, so this checks by hand the fields the postgres-cnpg
// component relies on, with the types, enums and minimums of the operator's API reference
// (cloudnative-pg.io/documentation, "API Reference", Cluster), and lists the fields it may have
// for the unknown-field walk. Imported by tests only.

/** The part of the CRD's schema our Cluster uses: field → nested shape, `true` a leaf, `[shape]` a list. */
export type Shape = { [field: string]: Shape | true | [Shape] };

const QUANTITY = /^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;
/** PostgreSQL identifiers the operator creates unquoted: lower case, at most 63 bytes. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const DNS_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

type Json = Record<string, unknown>;
const object = (value: unknown): Json | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;

export class CnpgCluster {
  constructor(private readonly data: Json) {}

  /** Throws one Error naming every problem, as kubernetes-models' validate() does. */
  validate(): void {
    const problems: string[] = [];
    const need = (ok: boolean, what: string) => {
      if (!ok) problems.push(what);
    };
    const metadata = object(this.data.metadata);
    need(typeof metadata?.name === 'string' && DNS_NAME.test(metadata.name), 'metadata.name: a DNS name');
    const spec = object(this.data.spec);
    if (spec === undefined) throw new Error('spec: required');
    need(Number.isInteger(spec.instances) && (spec.instances as number) >= 1, 'spec.instances: integer ≥ 1');
    need(typeof spec.imageName === 'string' && spec.imageName !== '', 'spec.imageName: a string');
    const size = object(spec.storage)?.size;
    need(typeof size === 'string' && QUANTITY.test(size), 'spec.storage.size: a quantity');
    const initdb = object(object(spec.bootstrap)?.initdb);
    if (initdb !== undefined) {
      for (const field of ['database', 'owner']) {
        const value = initdb[field];
        need(typeof value === 'string' && IDENTIFIER.test(value), `spec.bootstrap.initdb.${field}: a name`);
      }
      const refs = object(initdb.postInitApplicationSQLRefs)?.configMapRefs;
      for (const [i, ref] of (Array.isArray(refs) ? refs : []).entries()) {
        const r = object(ref);
        need(typeof r?.name === 'string' && typeof r.key === 'string', `configMapRefs[${i}]: name and key`);
      }
    }
    const roles = object(spec.managed)?.roles;
    for (const [i, role] of (Array.isArray(roles) ? roles : []).entries()) {
      const r = object(role);
      const where = `spec.managed.roles[${i}]`;
      need(typeof r?.name === 'string' && IDENTIFIER.test(r.name), `${where}.name: a name`);
      need(r?.ensure === undefined || r.ensure === 'present' || r.ensure === 'absent', `${where}.ensure`);
      need(r?.login === undefined || typeof r.login === 'boolean', `${where}.login: boolean`);
      const secret = object(r?.passwordSecret);
      need(secret === undefined || typeof secret.name === 'string', `${where}.passwordSecret.name`);
    }
    if (problems.length > 0) throw new Error(`Cluster: ${problems.join('; ')}`);
  }
}

export function cnpgClusterShape(): Shape {
  const role: Shape = {
    name: true,
    ensure: true,
    login: true,
    comment: true,
    inherit: true,
    connectionLimit: true,
    inRoles: true,
    passwordSecret: { name: true },
  };
  return {
    apiVersion: true,
    kind: true,
    metadata: { name: true, namespace: true, labels: true, annotations: true },
    spec: {
      instances: true,
      imageName: true,
      storage: { size: true, storageClass: true },
      resources: { requests: true, limits: true },
      bootstrap: {
        initdb: {
          database: true,
          owner: true,
          postInitApplicationSQLRefs: { configMapRefs: [{ name: true, key: true }] },
        },
      },
      managed: { roles: [role] },
    },
  };
}
