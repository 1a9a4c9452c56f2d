/**
 * Runs the `npm start` demo (scripts/demo.js) as a child process on random ports with a
 * temporary Node-RED user directory, for tests that need the whole thing: the editor,
 * the simulator, the broker and the example flows. It uses the build in dist/ (no rebuild).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface DemoProcess {
  /** The editor, e.g. http://127.0.0.1:41234/ */
  editorUrl: string;
  simPort: number;
  /** The embedded MQTT broker's port. */
  mqttPort: number;
  userDir: string;
  pid: number;
  /** Everything the demo printed so far (stdout and stderr). */
  output(): string;
  /** Sends the signal and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export async function startDemoProcess(env: Record<string, string> = {}, timeoutMs = 60000): Promise<DemoProcess> {
  const userDir = mkdtempSync(path.join(tmpdir(), 'jpay-demo-'));
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'scripts', 'demo.js'), '--no-build'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      JPAY_DEMO_USER_DIR: userDir,
      JPAY_DEMO_PORT: '0',
      JPAY_DEMO_SIM_PORT: '0',
      JPAY_DEMO_ACTIVATOR_PORT: '0',
      JPAY_DEMO_CONTROL_PORT: '0',
      JPAY_DEMO_MQTT_PORT: '0',
      JPAY_DEMO_MQTT_URL: '',
      JPAY_DEMO_LOG_LEVEL: 'warn',
      JPAY_DEMO_QUIET: '1',
      ...env,
    },
  });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const cleanup = (): void => rmSync(userDir, { recursive: true, force: true });

  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`the demo did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = (): void => {
      const m = /Node-RED editor\s+(http:\/\/\S+)[\s\S]*Terminal simulator\s+\S+:(\d+)[\s\S]*MQTT broker\s+mqtt:\/\/\S+:(\d+)[\s\S]*Ctrl-C/.exec(output);
      if (m) finish(undefined, m);
    };
    const onExit = (code: number | null): void => finish(new Error(`the demo exited (${code}) before it was ready:\n${output}`));
    function finish(err?: Error, m?: RegExpExecArray): void {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(m as RegExpExecArray);
    }
    child.stdout?.on('data', check);
    child.once('exit', onExit);
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    cleanup();
    throw err;
  });

  let stopped: Promise<number | null> | undefined;
  return {
    editorUrl: ready[1],
    simPort: Number(ready[2]),
    mqttPort: Number(ready[3]),
    userDir,
    pid: child.pid as number,
    output: () => output,
    stop(signal = 'SIGTERM', stopTimeoutMs = 15000) {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
        const code = await exited;
        clearTimeout(timer);
        cleanup();
        return code;
      })();
      return stopped;
    },
  };
}
