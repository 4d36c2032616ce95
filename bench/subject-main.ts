// Entry point of a subject child process (see subject.ts): answers the driver's commands over IPC.
import { createHandler } from './subject.js';
import type { Command } from './subject.js';

const handler = createHandler();

process.on('message', (message: { id: number; cmd: Command }) => {
  handler.handle(message.cmd).then(
    (value) => process.send?.({ id: message.id, ok: true, value }),
    (error: unknown) =>
      process.send?.({
        id: message.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      }),
  );
});
// The driver closes the channel after `stop`; nothing else keeps the process alive then.
process.on('disconnect', () => void handler.close().then(() => process.exit(0)));
process.send?.({ ready: true });
