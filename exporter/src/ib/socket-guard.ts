// @stoqey/ib 1.6.10 (pinned exactly in package.json) lets two kinds of broken gateway input
// through, which this guard closes:
//  1. An exception thrown while decoding (a non-JSON advancedOrderRejectJson reaches JSON.parse;
//     its decoder rethrows everything but underruns) escapes the socket's 'data' handler and
//     would crash the process.
//  2. A length prefix larger than any real message makes it buffer up to 2 GiB before giving up,
//     so a garbage stream looks like a silent one.
// Either way the stream is unusable: we report it and close the socket, and the session
// reconnects. The internals touched here are checked at run time; if a future version renames
// them the guard reports itself as not installed instead of breaking the connection.
import type { IBApi } from '@stoqey/ib';

/** The Java client's limit, which stoqey also uses: no real message is longer. */
export const MAX_FRAME_BYTES = 0xffffff;

interface SocketInternals {
  onData(data: Buffer): void;
  disconnect(): void;
  _v100MessageBuffer?: Buffer;
}

export function guardSocket(api: IBApi, onUnusable: (reason: string) => void): boolean {
  const socket = (api as unknown as { controller?: { socket?: SocketInternals } }).controller?.socket;
  if (!socket || typeof socket.onData !== 'function' || typeof socket.disconnect !== 'function') return false;
  const onData = socket.onData.bind(socket);
  socket.onData = (data: Buffer) => {
    try {
      onData(data);
    } catch (error) {
      onUnusable(
        `gateway message could not be decoded: ${error instanceof Error ? error.message : String(error)}`,
      );
      socket.disconnect();
      return;
    }
    const pending = socket._v100MessageBuffer;
    if (pending && pending.length >= 4) {
      const length = pending.readInt32BE(0);
      if (length < 0 || length > MAX_FRAME_BYTES) {
        onUnusable(`gateway sent a frame length of ${length} bytes`);
        socket.disconnect();
      }
    }
  };
  return true;
}
