// Test support for the ib-gateway suites. Imported by tests only.

/** Resolves once `condition` holds; rejects after timeoutMs. Polls, since files have no events. */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
