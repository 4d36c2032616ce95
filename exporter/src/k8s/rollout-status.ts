// `kubectl rollout status` for one Deployment, as a pure function of the object the API returns.
// The order of the checks and the messages follow kubectl's DeploymentStatusViewer
// (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go), so what /gateway/restart reports
// reads like what an operator sees in a terminal.
import type { V1Deployment } from '@kubernetes/client-node';

export type RolloutStatus =
  | { state: 'progressing'; message: string }
  | { state: 'complete'; message: string }
  | { state: 'failed'; message: string };

/** The Progressing condition's reason once the controller gives up (spec.progressDeadlineSeconds). */
const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';

export function rolloutStatus(deployment: V1Deployment): RolloutStatus {
  const name = deployment.metadata?.name ?? '';
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  // Until the controller has seen the new spec, the status describes the previous rollout.
  if (generation > (status.observedGeneration ?? 0)) {
    return { state: 'progressing', message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === TIMED_OUT_REASON) {
    return { state: 'failed', message: `deployment "${name}" exceeded its progress deadline` };
  }
  const waiting = (detail: string) => ({
    state: 'progressing' as const,
    message: `Waiting for deployment "${name}" rollout to finish: ${detail}...`,
  });
  const updated = status.updatedReplicas ?? 0;
  const wanted = deployment.spec?.replicas;
  if (wanted !== undefined && updated < wanted) {
    return waiting(`${updated} out of ${wanted} new replicas have been updated`);
  }
  const replicas = status.replicas ?? 0;
  if (replicas > updated) {
    return waiting(`${replicas - updated} old replicas are pending termination`);
  }
  const available = status.availableReplicas ?? 0;
  if (available < updated) {
    return waiting(`${available} of ${updated} updated replicas are available`);
  }
  return { state: 'complete', message: `deployment "${name}" successfully rolled out` };
}
