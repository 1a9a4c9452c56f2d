// One run of `jpay`: parse, connect, run the command, report, return the exit code.
// The process glue (argv, streams, SIGINT) is injected so tests can drive it in-process.

import { JpayAbortError, JpayClient, type ClientTimeouts, DEFAULT_TIMEOUTS, type SendParams } from '../../client';
import type { CommandName, ResponseBase } from '../../protocol/types';
import { RecoveryPendingError } from '../../recovery/errors';
import type { TransactionRecovery } from '../../recovery/transaction-recovery';
import { sendParams, type Invocation } from './commands';
import { runOverMqtt } from './mqtt';
import { EXIT_USAGE, ExitCode } from './exit-codes';
import { announceTransaction, formatError, formatResponse } from './format';
import { chargedBy, describeResult, formatRecovered, formatRecoverReport, openRecovery, recoverNow, recoverReportJson } from './journal';
import { errorJson, publicRequest, responseJson, verdictJson } from './json';
import { commandNameOf, parseCommandLine, type GlobalOptions, wantsJson } from './options';
import { errorVerdict, responseVerdict, verdictOf } from './outcome';
import { Progress } from './progress';
import { makeRedactor, type Redactor, type Secrets } from './redact';
import { packageVersion } from '../version';

export interface CliIo {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Installs the Ctrl-C handler; returns its remover. */
  onInterrupt?(handler: () => void): () => void;
}

/** Values that must never be printed, taken from the raw arguments so even a usage error is scrubbed. */
export function secretsOf(argv: readonly string[], env: NodeJS.ProcessEnv): Secrets {
  const hidden: string[] = [];
  const pans: string[] = [];
  const take = (flag: string): string[] => {
    const out: string[] = [];
    argv.forEach((a, i) => {
      if (a === flag && i + 1 < argv.length) out.push(argv[i + 1]);
      else if (a.startsWith(`${flag}=`)) out.push(a.slice(flag.length + 1));
    });
    return out.filter((v) => v.length >= 4);
  };
  hidden.push(...take('--password'), ...take('--new'), ...take('--material'));
  if (env.JPAY_PASSWORD && env.JPAY_PASSWORD.length >= 4) hidden.push(env.JPAY_PASSWORD);
  if (env.JPAY_MQTT_PASSWORD && env.JPAY_MQTT_PASSWORD.length >= 4) hidden.push(env.JPAY_MQTT_PASSWORD);
  pans.push(...take('--pan'));
  return { hidden, pans };
}

/** --timeout caps the whole command (and every shorter limit); --idle-timeout sets the idle limit. */
function timeoutsFor(timeoutMs: number | undefined, idleMs: number | undefined): Partial<ClientTimeouts> {
  const out: Partial<ClientTimeouts> = idleMs === undefined ? {} : { idleMs };
  if (timeoutMs === undefined) return out;
  const cap = (ms: number): number => Math.min(ms, timeoutMs);
  return {
    connectMs: cap(DEFAULT_TIMEOUTS.connectMs),
    commandMs: timeoutMs,
    transactionMs: timeoutMs,
    idleMs: idleMs ?? cap(DEFAULT_TIMEOUTS.idleMs),
    handlerMs: cap(DEFAULT_TIMEOUTS.handlerMs),
  };
}

interface Reporter {
  line(text: string): void;
  result(text: string): void;
  json(value: unknown): void;
}

function reporter(io: CliIo, diagnostics: Redactor, results: Redactor): Reporter {
  return {
    line: (text) => io.stderr(`${diagnostics(text)}\n`),
    result: (text) => io.stdout(`${results(text)}\n`),
    json: (value) => io.stdout(`${results(JSON.stringify(value))}\n`),
  };
}

function reportError(
  out: Reporter,
  json: boolean,
  cli: string | undefined,
  invocation: Invocation | undefined,
  error: unknown,
  redact: Redactor,
): ExitCode {
  const verdict = errorVerdict(invocation, error);
  const text = formatError(cli, invocation, error, verdict.kind, redact);
  if (json) {
    // A script reads the JSON on stdout; a person watching gets one line.
    out.line(text.stderr.split('\n')[0]);
    out.json(errorJson(cli, invocation, error, verdict, redact));
  } else {
    out.line(text.stderr);
    if (text.stdout !== undefined) out.result(text.stdout);
  }
  return verdict.exitCode;
}

export async function main(io: CliIo): Promise<ExitCode> {
  const secrets = secretsOf(io.argv, io.env);
  const diagnostics = makeRedactor(secrets, true);
  const out = reporter(io, diagnostics, makeRedactor(secrets, false));
  let parsed;
  try {
    parsed = parseCommandLine(io.argv, io.env);
  } catch (error) {
    reportError(out, wantsJson(io.argv), commandNameOf(io.argv), undefined, error, diagnostics);
    return EXIT_USAGE;
  }
  if (parsed.kind === 'help') {
    io.stdout(parsed.text);
    return 0;
  }
  if (parsed.kind === 'version') {
    io.stdout(`${packageVersion()}\n`);
    return 0;
  }
  if (parsed.global.mqtt) {
    const run = { cli: parsed.spec.name, invocation: parsed.invocation, target: parsed.global.mqtt, json: parsed.global.json, timeoutMs: parsed.global.timeoutMs };
    return runOverMqtt(io, run, diagnostics);
  }
  return runCommand(io, out, parsed.spec.name, parsed.global, parsed.invocation, diagnostics);
}

async function runCommand(
  io: CliIo,
  out: Reporter,
  cli: string,
  global: GlobalOptions,
  invocation: Invocation,
  redact: Redactor,
): Promise<ExitCode> {
  const progress = new Progress((text) => out.line(text));
  let recovery: TransactionRecovery | undefined;
  let client: JpayClient;
  try {
    if (global.journal) recovery = await openRecovery(global.journal, (text) => out.line(text));
    client = new JpayClient({
      host: global.host,
      port: global.port,
      password: global.password?.reveal(),
      encrypt: global.encrypt,
      timeouts: timeoutsFor(global.timeoutMs, global.idleTimeoutMs),
      logger: { warn: (msg) => out.line(`jpay: warning: ${msg}`) },
      ...(recovery ? recovery.clientOptions : {}),
    });
  } catch (error) {
    await recovery?.close();
    return reportError(out, global.json, cli, invocation, error, redact);
  }
  client.on('display', (m) => progress.display(m));
  client.on('qrcode', (m) => progress.qrCode(m));
  client.on('dex', (m) => progress.dex(m));
  client.on('card', (m) => progress.card(m));
  client.on('keepalive', (info) => progress.keepalive(info));

  const cancellable = invocation.command === 'transaction' || invocation.command === 'runreset';
  const abort = new AbortController();
  const cancel = (why: string): void => {
    if (abort.signal.aborted) return;
    progress.note(`[cancel] ${why}: the terminal is answered "cancelled" on its next keepalive; waiting for its final answer`);
    abort.abort();
  };
  let interrupts = 0;
  const removeInterrupt = io.onInterrupt?.(() => {
    interrupts += 1;
    if (cancellable && interrupts === 1) {
      cancel('Ctrl-C');
      progress.note('[cancel] press Ctrl-C again to stop waiting (the outcome is then UNKNOWN)');
      return;
    }
    progress.note('[cancel] interrupted: no longer waiting for the terminal');
    void client.close();
  });
  const cancelAfterMs = invocation.command === 'transaction' ? invocation.cancelAfterMs : undefined;
  const timer = cancelAfterMs === undefined ? undefined : setTimeout(() => cancel(`--cancel-after ${cancelAfterMs / 1000} s`), cancelAfterMs);

  // For the person at the terminal; a script with --json reads the request in the JSON.
  if (invocation.command === 'transaction' && !global.json) progress.note(announceTransaction(invocation.params));
  try {
    let response: ResponseBase;
    try {
      if (invocation.command === 'recover') {
        // needsJournal: parsing made sure there is one.
        const report = await recoverNow(recovery as TransactionRecovery, client, invocation.acknowledge);
        const settled = report.needsReview.length === 0 && (recovery as TransactionRecovery).unresolved(client).length === 0;
        const verdict = verdictOf(settled ? 'ok' : 'unknown');
        if (global.json) out.json({ ...verdictJson(cli, verdict), result: recoverReportJson(report) });
        else out.result(formatRecoverReport(report));
        return verdict.exitCode;
      }
      if (recovery && invocation.command === 'transaction') {
        const sale = await recovery.transaction(client, invocation.params, { signal: abort.signal });
        if (sale.kind === 'unknown') {
          if (sale.recovery instanceof Error) out.line(`jpay: recovery could not run: ${redact(sale.recovery.message)}`);
          else if (sale.recovery) out.line(`jpay: recovery could not settle it: ${describeResult(sale.recovery)}`);
          throw sale.error;
        }
        if (sale.kind === 'recovered') {
          const verdict = verdictOf(chargedBy(sale.result) ? 'approved' : 'declined');
          if (global.json) {
            out.json({ ...verdictJson(cli, verdict), approved: sale.result.outcome === 'approved', request: publicRequest(invocation.params), recovered: { ...sale.result } });
          } else {
            out.result(formatRecovered(invocation.params, sale.result));
          }
          return verdict.exitCode;
        }
        response = sale.result;
      } else {
        response = await client.send(invocation.command, sendParams(invocation) as SendParams<CommandName>, { signal: abort.signal });
      }
    } catch (error) {
      if (error instanceof JpayAbortError) progress.note('[cancel] cancelled before anything was sent to the terminal');
      if (error instanceof RecoveryPendingError && global.journal) out.line(`jpay: resolve them with: jpay --journal ${global.journal.file} recover --password …`);
      return reportError(out, global.json, cli, invocation, error, redact);
    }
    const verdict = responseVerdict(invocation, response);
    if (global.json) out.json(responseJson(cli, invocation, response, verdict));
    else out.result(formatResponse(cli, invocation, response));
    return verdict.exitCode;
  } finally {
    clearTimeout(timer);
    removeInterrupt?.();
    await client.close();
    await recovery?.close();
  }
}
