// Schema checks of rendered objects: kubernetes-models (types, required fields, enums) and a
// walk for unknown fields, which those schemas let through but `kubectl apply` refuses (strict
// field validation) or the API server silently drops. Imported by tests only.
import * as k8s from '@kubernetes/client-node';
import {
  PrometheusRule,
  ServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1';
import { CnpgCluster, cnpgClusterShape } from './cnpg-cluster.js';
import type { Shape } from './cnpg-cluster.js';
import type { K8sObject } from './kustomize.js';

interface Validating {
  validate(): void;
}
type ModelClass = new (data: never) => Validating;

/** Every kind the manifests may contain, by apiVersion/kind; anything else is a test failure. */
const MODELS: Record<string, { model: ModelClass; fields?: string; shape?: Shape }> = {
  'v1/Namespace': { model: Namespace, fields: 'V1Namespace' },
  'v1/ServiceAccount': { model: ServiceAccount, fields: 'V1ServiceAccount' },
  'v1/Service': { model: Service, fields: 'V1Service' },
  'v1/PersistentVolumeClaim': { model: PersistentVolumeClaim, fields: 'V1PersistentVolumeClaim' },
  'v1/Secret': { model: Secret, fields: 'V1Secret' },
  'v1/ConfigMap': { model: ConfigMap, fields: 'V1ConfigMap' },
  'apps/v1/Deployment': { model: Deployment, fields: 'V1Deployment' },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, fields: 'V1NetworkPolicy' },
  'rbac.authorization.k8s.io/v1/Role': { model: Role, fields: 'V1Role' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: RoleBinding, fields: 'V1RoleBinding' },
  'monitoring.coreos.com/v1/ServiceMonitor': { model: ServiceMonitor, shape: serviceMonitorShape() },
  'monitoring.coreos.com/v1/PrometheusRule': { model: PrometheusRule, shape: prometheusRuleShape() },
  // The postgres-cnpg component: checked by hand, see cnpg-cluster.ts.
  'postgresql.cnpg.io/v1/Cluster': { model: CnpgCluster, shape: cnpgClusterShape() },
};

/** Validates one object with its kubernetes-models class; returns the problems (empty = valid). */
export function validateObject(object: K8sObject): string[] {
  const entry = MODELS[`${object.apiVersion}/${object.kind}`];
  if (entry === undefined) return [`no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new entry.model(asDecoded(object) as never).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/**
 * A Secret's data as the API server reads it: kustomize wraps a long base64 value over several
 * lines, and Go's base64 decoder skips line breaks, where the model's `byte` format does not.
 */
function asDecoded(object: K8sObject): K8sObject {
  const data = object.kind === 'Secret' ? (object.data as Record<string, string> | undefined) : undefined;
  if (data === undefined) return object;
  return {
    ...object,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replace(/[\r\n]/g, '')])),
  };
}

/** Paths of fields the object's kind does not have. */
export function unknownFields(object: K8sObject): string[] {
  const entry = MODELS[`${object.apiVersion}/${object.kind}`];
  if (entry === undefined) return [`no schema for ${object.apiVersion} ${object.kind}`];
  const problems: string[] = [];
  if (entry.fields !== undefined) walkModel(object, entry.fields, object.kind, problems);
  if (entry.shape !== undefined) walkShape(object, entry.shape, object.kind, problems);
  return problems;
}

interface AttributeType {
  baseName: string;
  type: string;
}
type ModelType = { getAttributeTypeMap(): AttributeType[] };

const LEAF_TYPES = new Set(['string', 'number', 'boolean', 'Date', 'any', 'object', 'IntOrString']);

/** Walks `value` along @kubernetes/client-node's generated model of `type` (its JSON field names). */
function walkModel(value: unknown, type: string, path: string, problems: string[]): void {
  if (value === null || value === undefined || LEAF_TYPES.has(type)) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array !== null) {
    if (Array.isArray(value))
      value.forEach((item, i) => walkModel(item, array[1] as string, `${path}[${i}]`, problems));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map !== null) {
    for (const [key, item] of Object.entries(value as object))
      walkModel(item, map[1] as string, `${path}.${key}`, problems);
    return;
  }
  const model = (k8s as unknown as Record<string, ModelType | undefined>)[type];
  if (model?.getAttributeTypeMap === undefined) throw new Error(`unknown model type ${type} at ${path}`);
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [key, item] of Object.entries(value as object)) {
    const itemType = attributes.get(key);
    if (itemType === undefined) problems.push(`${path}.${key}`);
    else walkModel(item, itemType, `${path}.${key}`, problems);
  }
}

/*
 * Shapes: the part of a CRD's schema our objects use (see Shape). kubernetes-models' CRD schemas
 * do not reject unknown fields, so these spell out the Prometheus Operator fields we rely on; any
 * other field is reported.
 */

function metadataShape(): Shape {
  return { name: true, namespace: true, labels: true, annotations: true };
}

function serviceMonitorShape(): Shape {
  const endpoint: Shape = {
    port: true,
    path: true,
    interval: true,
    scrapeTimeout: true,
    scheme: true,
    honorLabels: true,
    relabelings: true,
    metricRelabelings: true,
  };
  return {
    apiVersion: true,
    kind: true,
    metadata: metadataShape(),
    spec: {
      selector: { matchLabels: true, matchExpressions: true },
      namespaceSelector: { matchNames: true, any: true },
      jobLabel: true,
      endpoints: [endpoint],
    },
  };
}

function prometheusRuleShape(): Shape {
  const rule: Shape = {
    alert: true,
    record: true,
    expr: true,
    for: true,
    keep_firing_for: true,
    labels: true,
    annotations: true,
  };
  return {
    apiVersion: true,
    kind: true,
    metadata: metadataShape(),
    spec: { groups: [{ name: true, interval: true, limit: true, query_offset: true, rules: [rule] }] },
  };
}

function walkShape(value: unknown, shape: Shape, path: string, problems: string[]): void {
  if (value === null || typeof value !== 'object') return;
  for (const [key, item] of Object.entries(value)) {
    const sub = shape[key];
    if (sub === undefined) problems.push(`${path}.${key}`);
    else if (Array.isArray(sub)) {
      if (Array.isArray(item)) item.forEach((x, i) => walkShape(x, sub[0], `${path}.${key}[${i}]`, problems));
    } else if (sub !== true) walkShape(item, sub, `${path}.${key}`, problems);
  }
}
