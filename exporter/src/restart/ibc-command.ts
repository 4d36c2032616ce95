// A client for IBC's command server (IBC's CommandServerPort, default 7462): one TCP connection,
// one command line, one answer. IBC answers "OK <text>" or "ERROR <text>", may send
// "INFO <text>" lines first and a prompt without a newline (CommandPrompt), and closes the socket
// at once, without a word, on a client not allowed by its ControlFrom setting.
import { connect } from 'node:net';

export type IbcFailure = 'unreachable' | 'refused' | 'no_answer' | 'timeout';

export class IbcCommandError extends Error {
  constructor(
    readonly kind: IbcFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IbcCommandError';
  }
}

export interface IbcTarget {
  host: string;
  port: number;
  /** Deadline of the whole exchange: connect, send, answer. */
  timeoutMs: number;
}

/** The first OK/ERROR/INFO token of a line; whatever precedes it is IBC's prompt. */
const REPLY = /(?:^|[^A-Za-z])(OK|ERROR|INFO)(?:\s(.*))?$/;

/** Sends `command` and resolves with the text of IBC's OK answer; rejects with IbcCommandError. */
export function sendIbcCommand(target: IbcTarget, command: string): Promise<string> {
  const where = `IBC command server at ${target.host}:${target.port}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    let buffered = '';
    let settled = false;
    const finish = (outcome: { ok: string } | { error: IbcCommandError }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if ('ok' in outcome) resolve(outcome.ok);
      else reject(outcome.error);
    };
    const timer = setTimeout(
      () =>
        finish({
          error: new IbcCommandError(
            'timeout',
            `${where} did not answer ${command} within ${target.timeoutMs / 1000} s`,
          ),
        }),
      target.timeoutMs,
    );

    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).replace(/\r$/, '');
        buffered = buffered.slice(newline + 1);
        const match = REPLY.exec(line);
        if (!match || match[1] === 'INFO') continue;
        const text = (match[2] ?? '').trim();
        if (match[1] === 'OK') finish({ ok: text });
        else finish({ error: new IbcCommandError('refused', `${where} answered ${command}: ERROR ${text}`) });
        return;
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish({
        error: new IbcCommandError(
          'unreachable',
          `cannot reach the ${where} (${error.code ?? error.message}): is CommandServerPort set in IBC's config.ini?`,
          { cause: error },
        ),
      }),
    );
    socket.once('close', () =>
      finish({
        error: new IbcCommandError(
          'no_answer',
          `${where} closed the connection without answering ${command}: is this exporter's address in IBC's ControlFrom?`,
        ),
      }),
    );
  });
}
