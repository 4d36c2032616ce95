/**
 * IB marks a corrected execution by re-sending it with the same execId except the digits after
 * the last dot (`….01` → `….02`). The part before is the fill's identity; the suffix its revision.
 */
export function parseExecId(execId: string): { baseExecId: string; revision: number } {
  const dot = execId.lastIndexOf('.');
  if (dot > 0) {
    const suffix = execId.slice(dot + 1);
    if (/^\d+$/.test(suffix)) return { baseExecId: execId.slice(0, dot), revision: Number(suffix) };
  }
  return { baseExecId: execId, revision: 0 };
}
