// Builds the GatewayRestarter the configuration asks for: disabled, or cold by flag file (compose)
// or Kubernetes rollout restart, and soft by IBC's command server.
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { DeploymentClient } from '../k8s/deployment-client.js';
import { flagFileRestartAction, ibcRestartAction, kubernetesRestartAction } from './actions.js';
import type { RestartAction } from './actions.js';
import { GatewayRestartService } from './gateway-restarter.js';
import { RestartError, disabledRestarter } from './restarter.js';
import type { GatewayRestarter } from './restarter.js';

/** The name in the deployment's managedFields for the annotation we set. */
export const FIELD_MANAGER = 'ibkr-pnl-exporter';

export interface RestarterOptions {
  logger: Logger;
  now?: () => number;
  /** A kubeconfig file instead of the default lookup (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfigFile?: string;
  /** How often a rollout is polled; 2 s unless a test wants it faster. */
  pollIntervalMs?: number;
}

export function createRestarter(
  gateway: Config['gateway'],
  options: RestarterOptions,
): GatewayRestarter & { close(): void } {
  if (!gateway.restartEnabled) return { ...disabledRestarter, close() {} };
  const now = options.now ?? Date.now;
  const cold: RestartAction =
    gateway.restartFile !== undefined
      ? flagFileRestartAction(gateway.restartFile, now)
      : kubernetesRestartAction({
          client: kubernetesClient(gateway, options),
          now,
          pollIntervalMs: options.pollIntervalMs ?? 2000,
        });
  const soft = ibcRestartAction({
    host: gateway.commandHost,
    port: gateway.commandPort,
    timeoutMs: gateway.apiTimeoutMs,
  });
  return new GatewayRestartService({
    actions: { cold, soft },
    cooldownMs: gateway.restartCooldownMs,
    now,
    logger: options.logger,
  });
}

/**
 * @kubernetes/client-node is loaded on the first cold restart, not at start: it costs about 70 MB
 * of memory that an exporter without Kubernetes restarts should not carry. A missing kubeconfig
 * is therefore reported then, with the reason, and the exporter keeps serving metrics.
 */
function kubernetesClient(
  gateway: Config['gateway'],
  options: RestarterOptions,
): () => Promise<DeploymentClient> {
  let client: Promise<DeploymentClient> | undefined;
  return () => {
    client ??= (async () => {
      const [{ deploymentClient }, { loadKubeConfig }] = await Promise.all([
        import('../k8s/deployment-client.js'),
        import('../k8s/kube-config.js'),
      ]);
      return deploymentClient(loadKubeConfig(options.kubeconfigFile), {
        namespace: gateway.namespace,
        name: gateway.deployment,
        fieldManager: FIELD_MANAGER,
        timeoutMs: gateway.apiTimeoutMs,
      });
    })().catch((error: unknown) => {
      client = undefined;
      const message = `cold restart is unavailable: ${(error as Error).message}`;
      options.logger.error({ err: error }, message);
      throw new RestartError('failed', message, { cause: error });
    });
    return client;
  };
}
