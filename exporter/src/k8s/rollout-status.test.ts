import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { rolloutStatus } from './rollout-status.js';

const deployment = (
  generation: number,
  replicas: number | undefined,
  status: NonNullable<V1Deployment['status']>,
): V1Deployment => ({
  metadata: { name: 'ib-gateway', generation },
  spec: { replicas, selector: {}, template: {} },
  status,
});

describe('rolloutStatus (kubectl rollout status rules)', () => {
  it('waits while the controller has not observed the new generation', () => {
    const d = deployment(3, 1, {
      observedGeneration: 2,
      replicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
    });
    expect(rolloutStatus(d)).toEqual({
      state: 'progressing',
      message: 'Waiting for deployment spec update to be observed...',
    });
  });

  it('fails once the Progressing condition says ProgressDeadlineExceeded', () => {
    const d = deployment(3, 1, {
      observedGeneration: 3,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
      ],
    });
    expect(rolloutStatus(d)).toEqual({
      state: 'failed',
      message: 'deployment "ib-gateway" exceeded its progress deadline',
    });
  });

  it.each([
    [
      'new replicas not all updated',
      { observedGeneration: 3, replicas: 1, updatedReplicas: 0, availableReplicas: 1 },
      '0 out of 1 new replicas have been updated',
    ],
    [
      'old replicas still running',
      { observedGeneration: 3, replicas: 2, updatedReplicas: 1, availableReplicas: 1 },
      '1 old replicas are pending termination',
    ],
    [
      'updated replicas not yet available',
      { observedGeneration: 3, replicas: 1, updatedReplicas: 1, availableReplicas: 0 },
      '0 of 1 updated replicas are available',
    ],
  ])('keeps waiting with %s', (_name, status, detail) => {
    expect(rolloutStatus(deployment(3, 1, status))).toEqual({
      state: 'progressing',
      message: `Waiting for deployment "ib-gateway" rollout to finish: ${detail}...`,
    });
  });

  it('is complete when every replica is updated and available and no old one is left', () => {
    const d = deployment(3, 1, {
      observedGeneration: 3,
      replicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
    });
    expect(rolloutStatus(d)).toEqual({
      state: 'complete',
      message: 'deployment "ib-gateway" successfully rolled out',
    });
  });

  it('treats a deployment scaled to zero as complete, as kubectl does', () => {
    expect(rolloutStatus(deployment(2, 0, { observedGeneration: 2 })).state).toBe('complete');
  });
});
