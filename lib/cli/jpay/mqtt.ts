// `jpay --mqtt URL (--tid T | --all) COMMAND`: the command goes to terminals' gateways
// through the broker (docs/fleet.md); one answer printed like the direct CLI's, or, with
// --all, one table row per terminal that published a state.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { definedOnly } from '../../objects';
import type { GatewayAnswer } from '../../gateway/answer';
import { GatewayRequester, GatewayTimeoutError, type RequesterOptions } from '../../gateway/requester';
import type { TerminalStateSnapshot } from '../../gateway/terminal-state';
import type { Invocation } from './commands';
import { EXIT_UNKNOWN, EXIT_USAGE, type ExitCode } from './exit-codes';
import { describeProblem, formatAnswer, formatFleetTable, resultDetail, worstExitCode, type FleetRow } from './mqtt-format';
import { exitCodeOf } from './outcome';
import { gatewayCall, type GatewayCall, type MqttTarget } from './mqtt-options';
import type { Redactor } from './redact';
import { UsageError } from './usage-error';

/** Default wait for each answer. The request expires then: the gateway never starts it later. */
export const DEFAULT_MQTT_TIMEOUT_MS = 30_000;
/** Requests in flight at once with --all. */
const FLEET_CONCURRENCY = 50;

export interface MqttIo {
  stdout(text: string): void;
  stderr(text: string): void;
  onInterrupt?(handler: () => void): () => void;
}

export interface MqttRun {
  cli: string;
  invocation: Invocation;
  target: MqttTarget;
  json: boolean;
  timeoutMs?: number;
}

function requesterOptions(target: MqttTarget): RequesterOptions {
  const options: RequesterOptions = definedOnly({ url: target.url, prefix: target.prefix, username: target.username, password: target.password });
  if (target.caFile !== undefined) {
    try {
      options.tls = { ca: readFileSync(target.caFile) };
    } catch {
      throw new UsageError(`--mqtt-ca: cannot read ${target.caFile}`);
    }
  }
  return options;
}

export async function runOverMqtt(io: MqttIo, run: MqttRun, redact: Redactor): Promise<ExitCode> {
  const err = (line: string): void => io.stderr(`${redact(line)}\n`);
  const out = (text: string): void => io.stdout(`${redact(text)}\n`);
  const who = `jpay ${run.cli}`;
  let call: GatewayCall;
  let options: RequesterOptions;
  try {
    call = gatewayCall(run.cli, run.invocation, run.target.all);
    options = requesterOptions(run.target);
  } catch (error) {
    err(`${who}: ${(error as Error).message}\nSee: jpay --help`);
    if (run.json) out(JSON.stringify({ command: run.cli, ok: false, outcome: 'usage', exitCode: EXIT_USAGE, error: { message: (error as Error).message } }));
    return EXIT_USAGE;
  }
  let requester: GatewayRequester;
  try {
    requester = await GatewayRequester.connect(options);
  } catch (error) {
    err(`${who}: ${(error as Error).message}`);
    if (run.json) out(JSON.stringify({ command: run.cli, ok: false, outcome: 'error', exitCode: EXIT_UNKNOWN, error: { code: 'broker', message: (error as Error).message } }));
    return EXIT_UNKNOWN;
  }
  const removeInterrupt = io.onInterrupt?.(() => {
    err(`${who}: interrupted: no longer waiting (a request not started yet expires at the gateway)`);
    void requester.close();
  });
  try {
    const timeoutMs = run.timeoutMs ?? DEFAULT_MQTT_TIMEOUT_MS;
    if (run.target.terminalId !== undefined) return await one(requester, run, call, run.target.terminalId, timeoutMs, out, err);
    return await everyone(requester, run, call, timeoutMs, out, err);
  } finally {
    removeInterrupt?.();
    await requester.close();
  }
}

async function one(requester: GatewayRequester, run: MqttRun, call: GatewayCall, terminalId: string, timeoutMs: number, out: (t: string) => void, err: (t: string) => void): Promise<ExitCode> {
  const who = `jpay ${run.cli}`;
  const id = run.target.id ?? randomUUID();
  let answer: GatewayAnswer;
  try {
    answer = await requester.request(terminalId, call.command, call.args, { id, timeoutMs });
  } catch (error) {
    const timedOut = error instanceof GatewayTimeoutError;
    const advice = call.payment ? `\nThe payment's outcome is UNKNOWN until its gateway answers: ask again with the same id (--id ${id}); never under a new one.` : '';
    err(`${who}: ${(error as Error).message}${advice}`);
    if (run.json) out(JSON.stringify({ command: run.cli, terminalId, id, ok: false, outcome: timedOut ? 'timeout' : 'error', exitCode: EXIT_UNKNOWN, error: { code: timedOut ? 'timeout' : 'error', message: (error as Error).message } }));
    return EXIT_UNKNOWN;
  }
  const exitCode = exitCodeOf(answer.outcome);
  if (run.json) {
    out(JSON.stringify({ ...answer, command: run.cli, exitCode }));
    return exitCode;
  }
  const text = formatAnswer(run.cli, run.invocation, answer);
  if (answer.duplicate) err(`${who}: the stored answer of an earlier request with id ${id} (nothing was run again)`);
  if (text !== undefined) out(text);
  else err(`${who}: terminal ${terminalId}: ${describeProblem(answer)}`);
  return exitCode;
}

async function everyone(requester: GatewayRequester, run: MqttRun, call: GatewayCall, timeoutMs: number, out: (t: string) => void, err: (t: string) => void): Promise<ExitCode> {
  const states = await requester.discover();
  if (states.size === 0) {
    err(`jpay ${run.cli}: no terminal published a state under ${requester.prefix}/+/state (is a gateway running with its state on?)`);
    if (run.json) out(JSON.stringify({ command: run.cli, ok: false, exitCode: EXIT_UNKNOWN, terminals: [] }));
    return EXIT_UNKNOWN;
  }
  const tids = [...states.keys()].sort();
  const rows = new Map<string, FleetRow>();
  const queue = tids.filter((tid) => {
    const state = states.get(tid) as TerminalStateSnapshot;
    if (state.state !== 'offline') return true;
    rows.set(tid, { terminalId: tid, state: 'offline', outcome: 'offline', detail: `not asked: its gateway is offline${state.reason ? ` (${state.reason})` : ''}` });
    return false;
  });
  err(`jpay ${run.cli}: asking ${queue.length} of ${tids.length} terminal(s) under ${requester.prefix}/…`);
  const worker = async (): Promise<void> => {
    for (let tid = queue.shift(); tid !== undefined; tid = queue.shift()) {
      const started = Date.now();
      const state = states.get(tid)?.state ?? 'unknown';
      try {
        const answer = await requester.request(tid, call.command, call.args, { timeoutMs });
        rows.set(tid, { terminalId: tid, state, outcome: answer.outcome, ...(answer.status ? { status: answer.status } : {}), ms: Date.now() - started, detail: resultDetail(answer), answer });
      } catch (error) {
        const timedOut = error instanceof GatewayTimeoutError;
        rows.set(tid, { terminalId: tid, state, outcome: timedOut ? 'timeout' : 'error', ms: Date.now() - started, detail: timedOut ? `no answer within ${timeoutMs / 1000} s` : (error as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FLEET_CONCURRENCY, Math.max(1, queue.length)) }, worker));
  const ordered = tids.map((tid) => rows.get(tid) as FleetRow);
  const exitCode = worstExitCode(ordered.map((r) => exitCodeOf(r.outcome)));
  if (run.json) {
    out(
      JSON.stringify({
        command: run.cli,
        ok: exitCode === 0,
        exitCode,
        terminals: ordered.map((r) => ({ terminalId: r.terminalId, state: r.state, outcome: r.outcome, ...(r.ms !== undefined ? { ms: r.ms } : {}), ...(r.answer ? { answer: r.answer } : { detail: r.detail }) })),
      }),
    );
  } else {
    out(formatFleetTable(ordered));
  }
  return exitCode;
}
