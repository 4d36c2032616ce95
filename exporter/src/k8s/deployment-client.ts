// The two Kubernetes calls a rollout restart needs, on one Deployment: GET it, and PATCH its pod
// template's restartedAt annotation, which is exactly what `kubectl rollout restart` does. Every
// call has a deadline, and failures come out as KubeApiError with a kind the caller can act on.
import {
  ApiException,
  AppsV1Api,
  Observable,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type {
  ConfigurationOptions,
  KubeConfig,
  ObservableMiddleware,
  V1Deployment,
} from '@kubernetes/client-node';

import { KubeApiError } from './kube-api-error.js';

export { KubeApiError };
import type { KubeErrorKind } from './kube-api-error.js';
export type { KubeErrorKind };

/** The annotation kubectl rollout restart sets; a changed pod template makes the controller roll. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

export interface DeploymentClient {
  readonly namespace: string;
  readonly name: string;
  read(): Promise<V1Deployment>;
  /** Strategic-merge patches the pod template's restartedAt annotation to `at` and returns the result. */
  restart(at: Date): Promise<V1Deployment>;
}

export interface DeploymentClientOptions {
  namespace: string;
  name: string;
  /** Recorded in managedFields, so `kubectl get -o yaml` shows who restarted the gateway. */
  fieldManager: string;
  /** Deadline of each call, connection and response body included. */
  timeoutMs: number;
}

/** kubectl writes RFC 3339 seconds; so do we, so both look alike in the pod template. */
const rfc3339 = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function deploymentClient(kc: KubeConfig, options: DeploymentClientOptions): DeploymentClient {
  const api = kc.makeApiClient(AppsV1Api);
  const { namespace, name, timeoutMs } = options;
  const what = (verb: string) => `${verb} deployment ${namespace}/${name}`;

  async function call<T>(verb: string, send: (extra: ConfigurationOptions) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    // The signal aborts the socket; the race also covers work before the request is sent (an
    // exec credential plugin, say), which the signal cannot reach.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          new KubeApiError(
            'timeout',
            undefined,
            `the Kubernetes API did not answer ${what(verb)} within ${timeoutMs / 1000} s`,
          ),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([send(withSignal(controller.signal)), deadline]);
    } catch (error) {
      throw classify(error, what(verb));
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    namespace,
    name,
    read: () => call('GET', (extra) => api.readNamespacedDeployment({ namespace, name }, extra)),
    restart: (at) =>
      call('PATCH', (extra) =>
        api.patchNamespacedDeployment(
          {
            namespace,
            name,
            fieldManager: options.fieldManager,
            body: {
              spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: rfc3339(at) } } } },
            },
          },
          // client-node picks application/json-patch+json for every patch body; the API server
          // rejects a merge-style body under that type, so the header is overridden here.
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch, extra),
        ),
      ),
  };
}

function withSignal(signal: AbortSignal): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre(context) {
      context.setSignal(signal);
      return new Observable(Promise.resolve(context));
    },
    post(response) {
      return new Observable(Promise.resolve(response));
    },
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

function classify(error: unknown, what: string): KubeApiError {
  if (error instanceof KubeApiError) return error;
  if (error instanceof ApiException) {
    const status = error.code;
    const serverMessage = statusMessage(error.body);
    const kind: KubeErrorKind =
      status === 401 || status === 403 ? 'unauthorized' : status === 404 ? 'not_found' : 'failed';
    return new KubeApiError(kind, status, `the Kubernetes API answered ${status} to ${what}`, serverMessage, {
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new KubeApiError('failed', undefined, `${what} failed: ${reason}`, undefined, { cause: error });
}

/** The message of a Kubernetes Status body, e.g. `deployments.apps "x" is forbidden: User … cannot patch …`. */
function statusMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.slice(0, 500);
    }
  }
  const message = (value as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}
