import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packet } from '../../../lib/codec/packet';
import { HELP, optionsFromArgs } from '../../../lib/cli/jpay-sim';
import { rawCommand, status } from '../../helpers/sim-raw-client';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'lib', 'cli', 'jpay-sim.ts');

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing`)));
  });
}

describe('jpay-sim command line', function () {
  this.timeout(20000);
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('--help documents every option', () => {
    for (const flag of ['--port', '--host', '--activator-port', '--control-port', '--no-control', '--scenario', '--log-file', '--password', '--card-delay', '--keepalive-interval', '--host-delay', '--card-timeout', '--no-auto-present', '--default-card', '--sbp', '--sbp-cft', '--sbp-delay', '--dex', '--host-unreachable', '--mifare-image', '--quiet', '--json', '--help', '--version', '--tid', '--mid', '--currency', '--control-host', '--max-connections', '--first-packet-timeout', '--max-response-size', '--mifare-close-without-receipt']) {
      assert.ok(HELP.includes(flag), flag);
    }
  });

  it('parses every option the help lists, with a value where the help shows one', () => {
    const samples: Record<string, string> = { '--password': '11112222', '--mifare-close-without-receipt': 'end' };
    const listed = [...HELP.matchAll(/^ {2}(?:-\w, | {4})(--[a-z-]+)( <)?/gm)];
    assert.equal(listed.length, 32);
    for (const [, flag, value] of listed) {
      const args = value ? [flag, samples[flag] ?? '1024'] : [flag];
      assert.doesNotThrow(() => optionsFromArgs(args), flag);
      if (value) assert.throws(() => optionsFromArgs([flag]), /argument missing/, flag);
    }
  });

  it('maps options and refuses bad values naming the option', () => {
    const { options } = optionsFromArgs(['-p', '0', '--no-control', '--sbp', '--card-delay', '5', '--password', '11112222']);
    assert.equal(options.port, 0);
    assert.equal(options.controlPort, undefined);
    assert.equal(options.sbp?.enabled, true);
    assert.equal(options.timing?.cardDelayMs, 5);
    assert.equal(options.terminal?.password, '11112222');
    assert.throws(() => optionsFromArgs(['--port', 'x']), /--port/);
    assert.throws(() => optionsFromArgs(['--password', '12']), /--password/);
    assert.throws(() => optionsFromArgs(['--bogus']));
  });

  it('maps the connection cap, the first-packet deadline, the response limit and the MIFARE close mode', () => {
    const { options } = optionsFromArgs([
      '--max-connections', '8', '--first-packet-timeout', '750', '--max-response-size', '4194304', '--mifare-close-without-receipt', 'end',
    ]);
    assert.equal(options.maxConnections, 8);
    assert.equal(options.timing?.firstPacketTimeoutMs, 750);
    assert.equal(options.maxResponseFrameSize, 4194304);
    assert.equal(options.mifare?.closeWithoutReceipt, 'end');
    assert.equal(options.mifare?.card, undefined);
    assert.throws(() => optionsFromArgs(['--max-connections', '0']), /--max-connections/);
    assert.throws(() => optionsFromArgs(['--first-packet-timeout', '0']), /--first-packet-timeout/);
    assert.throws(() => optionsFromArgs(['--mifare-close-without-receipt', 'stop']), /--mifare-close-without-receipt: must be one of continue, end/);
  });

  it('prints the port, serves, and exits cleanly on SIGTERM', async () => {
    child = run(['--port', '0', '--activator-port', '0', '--control-port', '0', '--quiet', '--card-delay', '1']);
    const line = await firstLine(child);
    const match = /listening on 127\.0\.0\.1:(\d+) \(activator port (\d+), control (http:\/\/\S+)\)/.exec(line);
    assert.ok(match, line);
    const port = Number(match[1]);
    assert.equal(status(await rawCommand(port, packet('login', { password: '12345678' }))), 'ok');
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  it('--help prints the usage and exits 0', async () => {
    child = run(['--help']);
    assert.match(await firstLine(child), /^Usage: jpay-sim/);
  });

  it('--version (and -v) prints the package version, like jpay --version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      child = run([flag]);
      assert.equal(await firstLine(child), version);
    }
  });
});
