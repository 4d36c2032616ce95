// Kubernetes API failures as one error type with a kind the restarter can act on. Kept apart from
// the client so that importing it does not load @kubernetes/client-node (about 70 MB of heap),
// which only a configured Kubernetes restart needs.

/** unauthorized: 401/403 (credentials or RBAC); not_found: 404; timeout: no answer before the deadline. */
export type KubeErrorKind = 'unauthorized' | 'not_found' | 'timeout' | 'failed';

export class KubeApiError extends Error {
  constructor(
    readonly kind: KubeErrorKind,
    /** The API server's HTTP status, when it answered. */
    readonly status: number | undefined,
    message: string,
    /** The API server's own explanation (a Status object's message), for the log. */
    readonly serverMessage?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KubeApiError';
  }
}
