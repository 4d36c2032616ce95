// Each bad web configuration paired with its exact message, as exporter-toolkit's
// tls_config_test.go pairs its testdata files with their errors.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCerts } from '../../test/support/certs.js';
import { WebConfigError, parseWebConfig } from './web-config.js';

const certs = makeCerts();
afterAll(() => certs.cleanup());
const read = (path: string) => readFileSync(path, 'utf8');
const HASH = '$2b$04$dalukFyiJR.Tr7QC6nWFQ.diwY8VdeFb69/EbtjAvDj1j8aFzR.Iq';

function problemsOf(text: string): string[] {
  try {
    parseWebConfig(text, read);
  } catch (error) {
    if (error instanceof WebConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a WebConfigError');
}

describe('parseWebConfig', () => {
  it('reads TLS files, users and headers with exporter-toolkit defaults', () => {
    const web = parseWebConfig(
      [
        'tls_server_config:',
        `  cert_file: ${certs.serverCert}`,
        `  key_file: ${certs.serverKey}`,
        `  client_ca_file: ${certs.caCert}`,
        '  client_auth_type: RequireAndVerifyClientCert',
        'http_server_config:',
        '  headers:',
        '    X-Frame-Options: deny',
        'basic_auth_users:',
        `  prometheus: ${HASH}`,
      ].join('\n'),
      read,
    );
    expect(web.tls).toEqual({
      cert: read(certs.serverCert),
      key: read(certs.serverKey),
      ca: read(certs.caCert),
      clientAuth: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
    });
    expect([...web.users]).toEqual([['prometheus', HASH]]);
    expect(web.headers).toEqual({ 'X-Frame-Options': 'deny' });
  });

  it('serves plain HTTP for an empty file or a TLS section without cert and key', () => {
    expect(parseWebConfig('', read)).toEqual({ tls: undefined, users: new Map(), headers: {} });
    expect(parseWebConfig('tls_server_config: {}\n', read).tls).toBeUndefined();
  });

  it('maps min_version names and keeps RequireClientCert as an alias', () => {
    const web = parseWebConfig(
      `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\n` +
        '  min_version: TLS13\n  client_auth_type: RequireClientCert\n',
      read,
    );
    expect(web.tls?.minVersion).toBe('TLSv1.3');
    expect(web.tls?.clientAuth).toBe('RequireAnyClientCert');
  });

  it.each([
    ['not YAML', 'a: [', /^not valid YAML \(/],
    ['an unknown top-level field', 'basic_auth: {}', ['basic_auth: unknown field']],
    [
      'an unknown TLS field',
      'tls_server_config:\n  certfile: x',
      ['tls_server_config.certfile: unknown field'],
    ],
    [
      'a Go-only field',
      'tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]',
      [
        "tls_server_config.cipher_suites: not supported by ibkr-pnl-exporter (Go cipher suite names; Node's defaults apply)",
      ],
    ],
    [
      'an unknown client_auth_type',
      `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\n  client_auth_type: Always`,
      [
        'tls_server_config.client_auth_type: must be one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert',
      ],
    ],
    [
      'an unknown TLS version',
      `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\n  min_version: TLS1.2`,
      ['tls_server_config.min_version: must be one of TLS10, TLS11, TLS12, TLS13'],
    ],
    [
      'a certificate without a key',
      `tls_server_config:\n  cert_file: ${certs.serverCert}`,
      ['tls_server_config.key_file: missing one of key or key_file'],
    ],
    [
      'an unreadable certificate',
      `tls_server_config:\n  cert_file: /nonexistent/server.crt\n  key_file: ${certs.serverKey}`,
      ['tls_server_config.cert_file: cannot read /nonexistent/server.crt (ENOENT)'],
    ],
    [
      'a client CA without a client auth policy',
      `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.serverKey}\n  client_ca_file: ${certs.caCert}`,
      ["tls_server_config.client_auth_type: client CA's have been configured without a Client Auth Policy"],
    ],
    [
      'a header exporter-toolkit does not allow',
      'http_server_config:\n  headers:\n    Server: nginx',
      [
        'http_server_config.headers.Server: this header can not be configured (allowed: Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, Content-Security-Policy)',
      ],
    ],
    [
      'a header value outside its enumeration',
      'http_server_config:\n  headers:\n    X-Frame-Options: allow',
      ['http_server_config.headers.X-Frame-Options: must be one of deny, sameorigin (got "allow")'],
    ],
    [
      'a password instead of a bcrypt hash',
      'basic_auth_users:\n  alice: hunter2-plain',
      ['basic_auth_users.alice: not a bcrypt hash (value not shown); see htpasswd -nBC 10 ""'],
    ],
  ])('refuses %s, naming the field', (_name, text, expected) => {
    const problems = problemsOf(text);
    if (expected instanceof RegExp) expect(problems[0]).toMatch(expected);
    else expect(problems).toEqual(expected);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('refuses a key that does not belong to the certificate', () => {
    const problems = problemsOf(
      `tls_server_config:\n  cert_file: ${certs.serverCert}\n  key_file: ${certs.clientKey}`,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tls_server_config\.cert_file: the certificate and key do not load \(.*\)$/);
  });
});
