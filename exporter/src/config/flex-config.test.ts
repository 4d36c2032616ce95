import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { helpText } from './help.js';

const TOKEN = '656530010732398240553724';

function problemsOf(env: Record<string, string>, read?: (path: string) => string): string[] {
  try {
    loadConfig(env, read);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('the Flex Web Service variables', () => {
  it('leave Flex off when neither the token nor the query id is set', () => {
    expect(loadConfig({}).flex).toBeUndefined();
  });

  it('default to 06:30 New York time every day and to IB’s base URL', () => {
    expect(loadConfig({ IBKR_FLEX_TOKEN: TOKEN, IBKR_FLEX_QUERY_ID: '771568' }).flex).toEqual({
      token: TOKEN,
      queryId: '771568',
      schedule: '30 6 * * *',
      timezone: 'America/New_York',
      url: 'https://ndcdyn.interactivebrokers.com/AccountManagement/FlexWebService',
    });
  });

  it('take a schedule and a base URL, without its trailing slash', () => {
    const flex = loadConfig({
      IBKR_FLEX_TOKEN: TOKEN,
      IBKR_FLEX_QUERY_ID: '1',
      IBKR_FLEX_SCHEDULE: ' 0 7 * * 1-5 ',
      IBKR_FLEX_URL: 'http://127.0.0.1:5000/FlexWebService/',
    }).flex;
    expect(flex?.schedule).toBe('0 7 * * 1-5');
    expect(flex?.url).toBe('http://127.0.0.1:5000/FlexWebService');
  });

  it('read the token from the first line of IBKR_FLEX_TOKEN_FILE', () => {
    const config = loadConfig(
      { IBKR_FLEX_TOKEN_FILE: '/run/secrets/flex', IBKR_FLEX_QUERY_ID: '9' },
      (path) => {
        expect(path).toBe('/run/secrets/flex');
        return `${TOKEN}\n`;
      },
    );
    expect(config.flex?.token).toBe(TOKEN);
  });

  it.each([
    [{ IBKR_FLEX_TOKEN: TOKEN }, ['IBKR_FLEX_QUERY_ID: required when IBKR_FLEX_TOKEN is set']],
    [
      { IBKR_FLEX_QUERY_ID: '771568' },
      ['IBKR_FLEX_TOKEN: required (or IBKR_FLEX_TOKEN_FILE) when IBKR_FLEX_QUERY_ID is set'],
    ],
    [
      { IBKR_FLEX_TOKEN: TOKEN, IBKR_FLEX_TOKEN_FILE: '/t', IBKR_FLEX_QUERY_ID: '1' },
      ['IBKR_FLEX_TOKEN_FILE: set either IBKR_FLEX_TOKEN or IBKR_FLEX_TOKEN_FILE, not both'],
    ],
    [
      { IBKR_FLEX_TOKEN: TOKEN, IBKR_FLEX_QUERY_ID: 'Q-771568' },
      ['IBKR_FLEX_QUERY_ID: must be the query\'s numeric id from Client Portal (got "Q-771568")'],
    ],
    [
      { IBKR_FLEX_TOKEN: TOKEN, IBKR_FLEX_QUERY_ID: '1', IBKR_FLEX_URL: 'ftp://example/flex' },
      ['IBKR_FLEX_URL: must be an absolute http(s) URL (got "ftp://example/flex")'],
    ],
  ])('refuse %j', (env, expected) => {
    expect(problemsOf(env, () => `${TOKEN}\n`)).toEqual(expected);
  });

  it.each(['every day', '* * * *', '0 6 * * * *', '61 6 * * *', '30 6 * * 9'])(
    'refuse the schedule "%s", naming the variable and the default’s form',
    (schedule) => {
      const problems = problemsOf({
        IBKR_FLEX_TOKEN: TOKEN,
        IBKR_FLEX_QUERY_ID: '1',
        IBKR_FLEX_SCHEDULE: schedule,
      });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        new RegExp(
          `^IBKR_FLEX_SCHEDULE: must be a 5-field cron expression such as "30 6 \\* \\* \\*" \\(got "${schedule.replace(/\*/g, '\\*')}": `,
        ),
      );
    },
  );

  it('names a token file that cannot be read, and does not also ask for the token', () => {
    const missing = () => {
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    };
    expect(problemsOf({ IBKR_FLEX_TOKEN_FILE: '/nope', IBKR_FLEX_QUERY_ID: '1' }, missing)).toEqual([
      'IBKR_FLEX_TOKEN_FILE: cannot read /nope (ENOENT)',
    ]);
  });

  it('never puts a rejected token into the error, from the variable or the file', () => {
    const secret = 'not a token but a secret 4242';
    const direct = problemsOf({ IBKR_FLEX_TOKEN: secret, IBKR_FLEX_QUERY_ID: '1' });
    expect(direct).toEqual(['IBKR_FLEX_TOKEN: must be 8 to 128 letters or digits (value not shown)']);
    const fromFile = problemsOf({ IBKR_FLEX_TOKEN_FILE: '/t', IBKR_FLEX_QUERY_ID: '1' }, () => secret);
    expect(fromFile).toEqual(['IBKR_FLEX_TOKEN_FILE: must be 8 to 128 letters or digits (value not shown)']);
    expect([...direct, ...fromFile].join('\n')).not.toContain('4242');
  });

  it('are listed by --help without a token value', () => {
    const text = helpText();
    for (const name of ['IBKR_FLEX_TOKEN', 'IBKR_FLEX_TOKEN_FILE', 'IBKR_FLEX_QUERY_ID', 'IBKR_FLEX_URL'])
      expect(text).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(text).toMatch(/^ {2}IBKR_FLEX_TOKEN .*\(default: none\)$/m);
    expect(text).toMatch(/^ {2}IBKR_FLEX_SCHEDULE .*\(default: 30 6 \* \* \*\)$/m);
  });
});
