/** Position snapshots: every quantity change, and at most one per interval while PnL moves. */
export const SNAPSHOT_INTERVAL_MS = 60_000;

export interface SnapshotMark {
  quantity: number;
  /** When the last snapshot of this position was written, epoch ms. */
  lastSnapshotAt?: number;
}

export type SnapshotReason = 'quantity' | 'pnl';

export function snapshotReason(
  mark: SnapshotMark | undefined,
  next: { quantity: number; pnlChanged: boolean },
  now: number,
  intervalMs = SNAPSHOT_INTERVAL_MS,
): SnapshotReason | undefined {
  if (!mark || mark.quantity !== next.quantity) return 'quantity';
  if (!next.pnlChanged) return undefined;
  if (mark.lastSnapshotAt === undefined || now - mark.lastSnapshotAt >= intervalMs) return 'pnl';
  return undefined;
}
