// The ways to restart the gateway, each behind one interface the restart service drives:
// a Kubernetes rollout restart and the compose flag file (cold), IBC's RESTART command (soft).
import { setTimeout as delay } from 'node:timers/promises';
import type { DeploymentClient } from '../k8s/deployment-client.js';
import { KubeApiError } from '../k8s/kube-api-error.js';
import { rolloutStatus } from '../k8s/rollout-status.js';
import { writeRestartFlag } from './flag-file.js';
import { IbcCommandError, sendIbcCommand } from './ibc-command.js';
import type { IbcTarget } from './ibc-command.js';
import { RestartError } from './restarter.js';

export interface RestartAccepted {
  message: string;
  /** For a restart that is followed after it was accepted (a rollout): its final message, or a RestartError. */
  completion?: Promise<string>;
}

export interface RestartAction {
  /**
   * Starts a restart; resolves once the gateway's side accepted it, rejects with a RestartError.
   * `progress` receives status lines while a completion is pending; `signal` ends the follow-up.
   */
  start(progress: (message: string) => void, signal: AbortSignal): Promise<RestartAccepted>;
}

/** Kubernetes' default spec.progressDeadlineSeconds. */
const DEFAULT_PROGRESS_DEADLINE_S = 600;

export interface KubernetesRestartOptions {
  /** The client, or a RestartError saying why there is none (no kubeconfig, say). */
  client: () => Promise<DeploymentClient>;
  now: () => number;
  /** How often the rollout is polled; kubectl watches, a poll every few seconds is as good here. */
  pollIntervalMs: number;
}

/** `kubectl rollout restart` + `kubectl rollout status`. */
export function kubernetesRestartAction(options: KubernetesRestartOptions): RestartAction {
  return {
    async start(progress, signal) {
      const client = await options.client();
      const deployment = await kube(client, 'GET', () => client.read());
      const ref = `${client.namespace}/${client.name}`;
      // kubectl refuses too ("can't restart paused deployment"): the controller would not roll it.
      if (deployment.spec?.paused) {
        throw new RestartError(
          'paused',
          `deployment ${ref} is paused; resume it first (kubectl rollout resume deployment/${client.name} -n ${client.namespace})`,
        );
      }
      const patched = await kube(client, 'PATCH', () => client.restart(new Date(options.now())));
      // The controller marks the rollout failed after progressDeadlineSeconds; our own limit is a
      // backstop for a controller that never reports, a minute later.
      const limitMs = ((patched.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S) + 60) * 1000;
      return {
        message: `rollout restart of deployment ${ref} started`,
        completion: follow(client, options, limitMs, progress, signal),
      };
    },
  };
}

async function follow(
  client: DeploymentClient,
  options: KubernetesRestartOptions,
  limitMs: number,
  progress: (message: string) => void,
  signal: AbortSignal,
): Promise<string> {
  const ref = `${client.namespace}/${client.name}`;
  const until = options.now() + limitMs;
  let last = 'no status read yet';
  while (options.now() < until) {
    await delay(options.pollIntervalMs, undefined, { signal, ref: false });
    let deployment;
    try {
      deployment = await kube(client, 'GET', () => client.read());
    } catch (error) {
      // Lost rights or a deleted deployment will not come back; a slow or flaky API may.
      if (
        error instanceof RestartError &&
        (error.reason === 'unauthorized' || error.reason === 'not_found')
      ) {
        throw error;
      }
      last = (error as Error).message;
      continue;
    }
    const status = rolloutStatus(deployment);
    last = status.message;
    if (status.state === 'complete') return status.message;
    if (status.state === 'failed') throw new RestartError('failed', status.message);
    progress(status.message);
  }
  throw new RestartError(
    'timeout',
    `rollout of deployment ${ref} did not finish within ${limitMs / 1000} s: ${last}`,
  );
}

/** Runs one Kubernetes call and turns its failure into the RestartError the HTTP layer maps. */
async function kube<T>(client: DeploymentClient, verb: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw error;
    const ref = `${client.namespace}/${client.name}`;
    switch (error.kind) {
      case 'unauthorized':
        throw new RestartError(
          'unauthorized',
          `Kubernetes refused ${verb} deployment ${ref} (HTTP ${error.status}): check RBAC. The exporter's ServiceAccount needs a Role in namespace ${client.namespace} allowing get and patch on apps/deployments with resourceNames ["${client.name}"], and a RoleBinding to it`,
          { cause: error },
        );
      case 'not_found':
        throw new RestartError(
          'not_found',
          `deployment ${ref} not found: set IBKR_GATEWAY_DEPLOYMENT and IBKR_GATEWAY_NAMESPACE to the gateway's Deployment`,
          { cause: error },
        );
      case 'timeout':
        throw new RestartError('timeout', error.message, { cause: error });
      default:
        throw new RestartError('upstream', error.message, { cause: error });
    }
  }
}

/** Compose: a cold restart is a timestamp in a file that something outside acts on. */
export function flagFileRestartAction(file: string, now: () => number): RestartAction {
  return {
    async start() {
      try {
        await writeRestartFlag(file, new Date(now()));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new RestartError('failed', `cannot write the restart flag file ${file} (${code})`, {
          cause: error,
        });
      }
      return { message: `restart requested in ${file}` };
    },
  };
}

/**
 * IBC's command-server RESTART: IBC restarts the gateway in place, keeping the session, so no new
 * 2FA is needed until IB expires the session at the end of the week. IBC answers before it acts.
 */
export function ibcRestartAction(target: IbcTarget): RestartAction {
  return {
    async start() {
      try {
        const answer = await sendIbcCommand(target, 'RESTART');
        return { message: `IBC accepted RESTART${answer ? `: ${answer}` : ''}` };
      } catch (error) {
        if (!(error instanceof IbcCommandError)) throw error;
        throw new RestartError(error.kind === 'timeout' ? 'timeout' : 'upstream', error.message, {
          cause: error,
        });
      }
    },
  };
}
