import assert from 'node:assert/strict';
import { COMMANDS } from '../../../lib/cli/jpay/commands';
import { CommandLine, parseCommandLine } from '../../../lib/cli/jpay/options';
import { UsageError } from '../../../lib/cli/jpay/usage-error';

type Run = Extract<CommandLine, { kind: 'run' }>;

function run(argv: string[], env: NodeJS.ProcessEnv = {}): Run {
  const parsed = parseCommandLine(argv, env);
  assert.equal(parsed.kind, 'run');
  return parsed as Run;
}

function refuses(argv: string[], message: RegExp, env: NodeJS.ProcessEnv = {}): UsageError {
  let caught: unknown;
  assert.throws(
    () => parseCommandLine(argv, env),
    (e: unknown) => {
      caught = e;
      return e instanceof UsageError && message.test(e.message);
    },
  );
  return caught as UsageError;
}

describe('cli command line', () => {
  describe('global options', () => {
    it('uses the defaults', () => {
      const r = run(['purchase', '--amount', '1']);
      assert.equal(r.global.host, '127.0.0.1');
      assert.equal(r.global.port, 4433);
      assert.equal(r.global.encrypt, false);
      assert.equal(r.global.json, false);
      assert.equal(r.global.password, undefined);
      assert.equal(r.global.timeoutMs, undefined);
    });

    it('takes them before or after the command', () => {
      const a = run(['--host', 'pos1', '--port', '5000', '--json', '--encrypt', '--timeout', '2.5', 'purchase', '--amount', '1']);
      const b = run(['purchase', '--amount', '1', '--host=pos1', '--port', '5000', '--json', '--encrypt', '--timeout', '2.5']);
      for (const r of [a, b]) {
        assert.deepEqual(
          { host: r.global.host, port: r.global.port, json: r.global.json, encrypt: r.global.encrypt, t: r.global.timeoutMs },
          { host: 'pos1', port: 5000, json: true, encrypt: true, t: 2500 },
        );
      }
    });

    it('reads the password from --password or JPAY_PASSWORD, the flag winning', () => {
      assert.equal(run(['report'], { JPAY_PASSWORD: '11112222' }).global.password?.reveal(), '11112222');
      assert.equal(run(['--password', '33334444', 'report'], { JPAY_PASSWORD: '11112222' }).global.password?.reveal(), '33334444');
    });

    it('reads JPAY_HOST and JPAY_PORT', () => {
      const r = run(['resetpassword'], { JPAY_HOST: '10.0.0.9', JPAY_PORT: '4500' });
      assert.equal(r.global.host, '10.0.0.9');
      assert.equal(r.global.port, 4500);
    });

    it('refuses a bad port, timeout or password without echoing the password', () => {
      refuses(['--port', '70000', 'resetpassword'], /--port/);
      refuses(['--port', 'x', 'resetpassword'], /--port/);
      refuses(['--timeout', '0', 'resetpassword'], /--timeout/);
      refuses(['--timeout', '-1', 'resetpassword'], /--timeout/);
      const e = refuses(['--password', 'secret99', 'report'], /--password: must be exactly 8 digits/);
      assert.ok(!e.message.includes('secret99'));
    });

    it('refuses a missing or unknown command and unknown options', () => {
      refuses([], /no command/);
      refuses(['--json'], /no command/);
      refuses(['pay'], /unknown command 'pay'/);
      refuses(['purchase', '--amount', '1', '--bogus'], /Unknown option '--bogus'/);
      refuses(['purchase', '--amount', '1', 'extra'], /Unexpected argument/);
      refuses(['--amount', '1', 'purchase'], /Unknown option '--amount'/);
    });

    it('asks for the password where a command needs it', () => {
      for (const argv of [['login'], ['getparameters'], ['report'], ['settlement'], ['clear'], ['changepassword', '--new', '87654321']]) {
        refuses(argv, /needs the admin password: --password P or env JPAY_PASSWORD/);
      }
      const manual = ['manual', '--type', 'purchase', '--amount', '1', '--pan', '4000000000000002', '--expiry', '2712'];
      const e = refuses(manual, /needs the admin password/);
      assert.ok(!e.message.includes('4000000000000002'));
      assert.equal(run(['resetpassword']).invocation.command, 'resetpassword');
    });
  });

  describe('help', () => {
    it('jpay --help lists every command and the exit codes', () => {
      const parsed = parseCommandLine(['--help']);
      assert.equal(parsed.kind, 'help');
      const text = (parsed as { text: string }).text;
      for (const c of COMMANDS) assert.match(text, new RegExp(`\\n  ${c.name} `));
      assert.match(text, /Exit codes:/);
      assert.match(text, /jpay report --full/);
      assert.equal((parseCommandLine(['-h']) as { text: string }).text, text);
    });

    it('every command has --help, listing its own options', () => {
      for (const c of COMMANDS) {
        const parsed = parseCommandLine([c.name, '--help']);
        assert.equal(parsed.kind, 'help', c.name);
        const text = (parsed as { text: string }).text;
        assert.match(text, new RegExp(`^Usage: jpay \\[global options\\] ${c.name}`));
        for (const o of Object.keys(c.options)) assert.match(text, new RegExp(`--${o}\\b`), `${c.name} --${o}`);
        assert.equal((parseCommandLine(['--help', c.name]) as { text: string }).text, text);
      }
    });

    it('help wins over missing or bad options', () => {
      assert.equal(parseCommandLine(['purchase', '--amount', 'abc', '--help']).kind, 'help');
      assert.equal(parseCommandLine(['purchase', '--help']).kind, 'help');
    });
  });

  describe('transactions', () => {
    it('purchase with currency, sbp flags and cancel-after', () => {
      assert.deepEqual(run(['purchase', '--amount', '123.45']).invocation, {
        command: 'transaction',
        params: { type: 'purchase', amount: 12345 },
      });
      assert.deepEqual(run(['purchase', '--amount', '0.1', '--currency', '840', '--sbp', '--cancel-after', '3']).invocation, {
        command: 'transaction',
        params: { type: 'purchase', amount: 10, currency: '840', sbp: true },
        cancelAfterMs: 3000,
      });
      assert.deepEqual(run(['purchase', '--amount', '1', '--no-sbp']).invocation, {
        command: 'transaction',
        params: { type: 'purchase', amount: 100, sbp: false },
      });
      refuses(['purchase', '--amount', '1', '--sbp', '--no-sbp'], /exclude each other/);
      refuses(['purchase', '--amount', '1', '--currency', 'RUB'], /--currency/);
      refuses(['purchase', '--amount', '1', '--cancel-after', 'soon'], /--cancel-after/);
    });

    it('every amount option refuses bad amounts naming the option', () => {
      for (const bad of ['1.234', '-1', '1e3', 'abc', '']) {
        refuses(['purchase', `--amount=${bad}`], /^--amount/);
        refuses(['refund', `--amount=${bad}`], /^--amount/);
        refuses(['cashback', '--amount', '1', `--cashback=${bad}`], /^--cashback/);
        refuses(['void', '--number', '1', `--amount=${bad}`], /^--amount/);
      }
      refuses(['purchase'], /^--amount: is required for a purchase/);
      refuses(['purchase', '--amount', '-1'], /--amount/);
      for (const range of ['0', '0.00', '10000000000.00', '9'.repeat(30)]) {
        refuses(['purchase', '--amount', range], /^--amount: must be an integer number of minor units \(kopecks\) from 1 to 999999999999$/);
      }
    });

    it('refund with rrn, forced and sbp', () => {
      assert.deepEqual(run(['refund', '--amount', '5', '--rrn', '123456789012', '--forced']).invocation, {
        command: 'transaction',
        params: { type: 'refund', amount: 500, rrn: '123456789012', forced: true },
      });
      assert.deepEqual(run(['refund', '--amount', '5', '--sbp', '--rrn', 'AS1000670LSS']).invocation, {
        command: 'transaction',
        params: { type: 'refund', amount: 500, rrn: 'AS1000670LSS', sbp: true },
      });
      // The help says to give an SBP payment's id as --rrn: 232796 is the vendor's example.
      assert.deepEqual(run(['refund', '--amount', '5', '--sbp', '--rrn', '232796']).invocation, {
        command: 'transaction',
        params: { type: 'refund', amount: 500, rrn: '232796', sbp: true },
      });
      refuses(['refund', '--amount', '5', '--rrn', '123'], /^--rrn: must be .*exactly 12 characters/);
      refuses(['refund', '--amount', '5', '--sbp', '--rrn', '1234567890123'], /^--rrn: /);
    });

    it('void by number or last, optionally partial', () => {
      assert.deepEqual(run(['void', '--number', 'last']).invocation, {
        command: 'transaction',
        params: { type: 'void', number: 'last' },
      });
      assert.deepEqual(run(['void', '--number', '000009', '--amount', '0.5']).invocation, {
        command: 'transaction',
        params: { type: 'void', number: 9, amount: 50 },
      });
      refuses(['void'], /^--number: is required for a void/);
      refuses(['void', '--number', '1234567'], /--number/);
      refuses(['void', '--number', 'first'], /--number/);
    });

    it('cashback needs both amounts', () => {
      assert.deepEqual(run(['cashback', '--amount', '10', '--cashback', '2.50']).invocation, {
        command: 'transaction',
        params: { type: 'purchase-with-cashback', amount: 1000, amountOther: 250 },
      });
      refuses(['cashback', '--amount', '10'], /^--cashback: is required for a purchase-with-cashback/);
    });

    it('manual entry validates the card data and never repeats the PAN', () => {
      const base = ['--password', '12345678', 'manual', '--amount', '1', '--expiry', '2712'];
      assert.deepEqual(run([...base, '--type', 'purchase', '--pan', '4000000000000002', '--cardholder', 'IVAN IVANOV']).invocation, {
        command: 'transaction',
        params: { type: 'purchase', amount: 100, manual: { pan: '4000000000000002', expiry: '2712', cardholder: 'IVAN IVANOV' } },
      });
      assert.deepEqual(run([...base, '--type', 'cashback', '--cashback', '1', '--pan', '4000000000000002']).invocation, {
        command: 'transaction',
        params: { type: 'purchase-with-cashback', amount: 100, amountOther: 100, manual: { pan: '4000000000000002', expiry: '2712' } },
      });
      refuses([...base, '--type', 'void', '--pan', '4000000000000002'], /--type/);
      refuses([...base, '--type', 'cashback', '--pan', '4000000000000002'], /^--cashback: is required/);
      refuses([...base, '--type', 'purchase', '--pan', '4000000000000002', '--rrn', '123456789012'], /^--rrn: is only allowed on a refund/);
      const e = refuses([...base, '--type', 'purchase', '--pan', '40000000000000021234'], /^--pan: must be 12 to 19 digits/);
      assert.ok(!e.message.includes('4000000000'));
      refuses(['--password', '12345678', 'manual', '--type', 'purchase', '--amount', '1', '--pan', '4000000000000002', '--expiry', '2713'], /--expiry/);
      refuses(['--password', '12345678', 'manual', '--type', 'purchase', '--amount', '1', '--expiry', '2712'], /^--pan: is required/);
    });
  });

  describe('admin and reports', () => {
    const pw = ['--password', '12345678'];

    it('simple commands map to themselves', () => {
      for (const c of ['login', 'logout', 'getparameters', 'testconnection', 'updateconfiguration', 'loadworkkeys', 'loadmasterkeys', 'runreset', 'settlement', 'clear']) {
        assert.deepEqual(run([...pw, c]).invocation, { command: c });
      }
    });

    it('report brief or full', () => {
      assert.deepEqual(run([...pw, 'report']).invocation, { command: 'report', params: { reportType: 'brief' } });
      assert.deepEqual(run([...pw, 'report', '--full']).invocation, { command: 'report', params: { reportType: 'full' } });
    });

    it('changepassword keeps the new password secret', () => {
      const inv = run([...pw, 'changepassword', '--new', '87654321']).invocation;
      assert.equal(inv.command, 'changepassword');
      if (inv.command !== 'changepassword') return;
      assert.equal(inv.params.newPassword.reveal(), '87654321');
      assert.ok(!JSON.stringify(inv).includes('87654321'));
      refuses([...pw, 'changepassword'], /^--new: is required/);
      const e = refuses([...pw, 'changepassword', '--new', 'abc12345'], /^--new: must be exactly 8 digits/);
      assert.ok(!e.message.includes('abc12345'));
    });

    it('sethostkey needs a name and Base64 material, kept secret', () => {
      const inv = run([...pw, 'sethostkey', '--name', 'host1', '--material', 'AAECAwQ=']).invocation;
      assert.equal(inv.command, 'sethostkey');
      if (inv.command !== 'sethostkey') return;
      assert.equal(inv.params.name, 'host1');
      assert.equal(inv.params.material.reveal(), 'AAECAwQ=');
      assert.ok(!JSON.stringify(inv).includes('AAECAwQ='));
      refuses([...pw, 'sethostkey', '--name', 'host1', '--material', 'not base64!'], /^--material: must be the key material in Base64/);
      refuses([...pw, 'sethostkey', '--material', 'AAECAwQ='], /^--name: is required/);
    });
  });
});
