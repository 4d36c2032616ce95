// The request and response bodies of /gateway/restart, as zod schemas: the route validates with
// them and the OpenAPI document is generated from them, so the two cannot drift.
import { z } from 'zod';

export const restartRequestSchema = z
  .object({
    mode: z
      .enum(['cold', 'soft'])
      .default('cold')
      .describe(
        'cold: replace the gateway (Kubernetes rollout restart, or the compose flag file); needs a new login with 2FA. soft: IBC restarts the gateway in place; no 2FA until IB ends the session at the end of the week.',
      ),
  })
  .strict();

export type RestartRequest = z.infer<typeof restartRequestSchema>;

const time = z.iso.datetime().nullable();

export const restartStatusSchema = z.object({
  enabled: z.boolean().describe('Whether IBKR_GATEWAY_RESTART_ENABLED is on.'),
  state: z.enum(['idle', 'in_progress', 'succeeded', 'failed']).describe('State of the last restart.'),
  mode: z.enum(['cold', 'soft']).nullable(),
  started_at: time,
  finished_at: time,
  message: z.string().nullable().describe('Progress or outcome, e.g. kubectl rollout status text.'),
});

export type RestartStatusView = z.infer<typeof restartStatusSchema>;
