import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CliIo, main, secretsOf } from '../../../lib/cli/jpay/main';

function io(argv: string[], env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string } {
  const state = {
    argv,
    env,
    out: '',
    err: '',
    stdout(text: string) {
      state.out += text;
    },
    stderr(text: string) {
      state.err += text;
    },
  };
  return state;
}

describe('cli main (in process, no network)', () => {
  it('collects the secrets to scrub from argv and env, in both flag forms', () => {
    assert.deepEqual(
      secretsOf(['--password', '12345678', 'manual', '--pan=4111111111111111', '--new', '87654321', '--material', 'QUJDRA=='], {
        JPAY_PASSWORD: '11112222',
      }),
      { hidden: ['12345678', '87654321', 'QUJDRA==', '11112222'], pans: ['4111111111111111'] },
    );
  });

  it('help goes to stdout with exit 0', async () => {
    const x = io(['refund', '--help']);
    assert.equal(await main(x), 0);
    assert.match(x.out, /^Usage: jpay \[global options\] refund --amount A/);
    assert.equal(x.err, '');
  });

  it('usage errors go to stderr with exit 2, or as one JSON object with --json', async () => {
    const x = io(['--port', '4433', 'purchase', '--amount', '1.234']);
    assert.equal(await main(x), 2);
    assert.equal(x.out, '');
    assert.match(x.err, /^jpay purchase: --amount: "1\.234" is not an amount/);
    assert.match(x.err, /See: jpay purchase --help/);
    const j = io(['purchase', '--amount', 'abc', '--json']);
    assert.equal(await main(j), 2);
    const out = JSON.parse(j.out) as { command: string; outcome: string; exitCode: number };
    assert.deepEqual([out.command, out.outcome, out.exitCode], ['purchase', 'usage', 2]);
  });

  it('--amount and --amount-minor exclude each other; --amount-minor is checked by the same rules', async () => {
    const x = io(['purchase', '--amount', '1', '--amount-minor', '100']);
    assert.equal(await main(x), 2);
    assert.match(x.err, /--amount and --amount-minor exclude each other/);
    const y = io(['purchase', '--amount-minor', '1.5']);
    assert.equal(await main(y), 2);
    assert.match(y.err, /--amount-minor: "1\.5" is not an amount in minor units/);
    const z = io(['purchase', '--amount-minor', '0']);
    assert.equal(await main(z), 2);
    assert.match(z.err, /--amount/);
  });

  it('a secret typed where a command was expected is scrubbed from the message', async () => {
    const x = io(['11112222'], { JPAY_PASSWORD: '11112222' });
    assert.equal(await main(x), 2);
    assert.match(x.err, /unknown command '\[redacted\]'/);
  });

  it('--version prints the package version on stdout, with or without a command', async () => {
    const { version } = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string };
    for (const argv of [['--version'], ['purchase', '--version']]) {
      const x = io(argv);
      assert.equal(await main(x), 0);
      assert.equal(x.out, `${version}\n`);
      assert.equal(x.err, '');
    }
  });

  it('a usage error is told once: the message, then where to look', async () => {
    for (const [argv, message, hint] of [
      [[], 'jpay: no command given', 'See: jpay --help'],
      [['pay'], "jpay: unknown command 'pay'", 'See: jpay --help'],
    ] as const) {
      const x = io([...argv]);
      assert.equal(await main(x), 2);
      assert.equal(x.err, `${message}\n${hint}\n`);
      assert.equal(x.out, '');
    }
  });

  it('with --json an error is one JSON object on stdout and one human line on stderr', async () => {
    const usage = io(['--json', 'pay']);
    assert.equal(await main(usage), 2);
    assert.equal(usage.err, "jpay: unknown command 'pay'\n");
    assert.equal((JSON.parse(usage.out) as { outcome: string }).outcome, 'usage');
    // Not sent (refused before connecting): the text form adds a second line saying so.
    const refused = io(['--json', '--port', '1', '--timeout', '2', 'purchase', '--amount', '1']);
    assert.equal(await main(refused), 3);
    assert.equal(refused.err.split('\n').filter(Boolean).length, 1, refused.err);
    assert.match(refused.err, /^jpay purchase: cannot connect/);
    assert.equal((JSON.parse(refused.out) as { error: { type: string } }).error.type, 'JpayConnectionError');
  });
});
