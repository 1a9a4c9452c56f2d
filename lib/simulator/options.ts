/**
 * Simulator options: the scenario part (also loadable from a JSON file, see scenario.ts)
 * plus network and process options. resolveConfig() fills in the defaults.
 */
import { definedOnly } from '../objects';
import { JpayValidationError } from '../errors';
import type { TerminalParameters } from '../protocol/types';
import type { JpayStatusCode } from '../protocol/status';
import type { TestCard } from './cards';
import type { Cvm, DeclineReason, FaultKind, OutcomeSpec } from './outcome';

export const DEFAULT_PORT = 4433;
export const DEFAULT_ACTIVATOR_PORT = 4434;
export const DEFAULT_PASSWORD = '12345678';
export const DEFAULT_MAX_FRAME_SIZE = 256 * 1024;
export const DEFAULT_MAX_RESPONSE_FRAME_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 32;

export interface TerminalConfig {
  tid?: string;
  mid?: string;
  /** Admin password at first start (a persisted log file keeps the changed one). */
  password?: string;
  /** Default ISO 4217 numeric currency. */
  currency?: string;
  /** Preferred display languages, ISO-639 pairs (`ruen`). */
  language?: string;
  header?: string[];
  footer?: string[];
  acquirerTag?: string;
  bankName?: string;
  /** getparameters overrides. */
  parameters?: TerminalParameters;
  /** Whether manual card entry is accepted by the acquirer (default true). */
  manualEntry?: boolean;
  /** Whether a forced refund (without the card) is accepted by the acquirer (default true). */
  forcedRefund?: boolean;
}

export interface TimingConfig {
  /** Delay before the default test card is presented (ms). */
  cardDelayMs?: number;
  /** Interval of keepalive messages while the terminal waits (ms). */
  keepaliveIntervalMs?: number;
  /** Time between D1 (connecting) and D4 (answer received) (ms). */
  hostDelayMs?: number;
  /** Card detection timeout: no card → status timeout (ms). */
  cardTimeoutMs?: number;
  /** Longest wait for the client's answer to a message (ms). */
  answerTimeoutMs?: number;
  /**
   * First-packet deadline (ms): a connection must deliver its command this soon after it
   * opens, and close after the response within the same time, else it is closed — an idle
   * socket holds one of the `maxConnections` slots only this long.
   */
  firstPacketTimeoutMs?: number;
  /** Deadline for a frame from its first byte to its last (ms). */
  frameTimeoutMs?: number;
  /** How long the delay-response fault holds the response (ms). */
  faultDelayMs?: number;
  /** runreset: interval of keep-alive messages to the client (ms). */
  resetKeepAliveIntervalMs?: number;
  /** runreset: how long to wait for the activator (ms). */
  activatorTimeoutMs?: number;
}

/** What the SBP agent reports: approved, declined, error (status read failed), none (never paid). */
export const SBP_OUTCOMES = ['approved', 'declined', 'error', 'none'] as const;
export type SbpOutcome = (typeof SBP_OUTCOMES)[number];

export interface SbpConfig {
  enabled?: boolean;
  /** The SBP agent's own terminal and merchant ids. */
  tid?: string;
  mid?: string;
  /** Time from showing the QR code to the payment (ms). */
  payDelayMs?: number;
  outcome?: SbpOutcome;
  /** Add the CFT agent's `cft` block to SBP receipts. */
  cft?: boolean;
  /** Base of the QR code URL. */
  qrBaseUrl?: string;
}

export interface DexConfig {
  enabled?: boolean;
  /** Tags the kernel sends; `{amount}`, `{currency}`, `{aid}`, `{pan}` placeholders are filled in. */
  kernelTags?: { name: string; value: string }[];
}

export interface MifareCardConfig {
  /** Card memory (1024 or 4096 bytes) as hex or base64. Default: a blank 1k card. */
  image?: string;
  /** Raw dump file (.mfd) to load instead of `image`. */
  imageFile?: string;
  uid?: string;
  allowTrailerWrites?: boolean;
  authBlock?: number;
  /** Tearing fault: the card leaves the field at the (n+1)th write. */
  tearAfterWrites?: number;
  tearMode?: 'before' | 'after' | 'partial';
}

/**
 * What the terminal does when the client ends the card session with a `close` that
 * carries no receipt (§8.9 does not say): `continue` = go on detecting a bank card (the
 * default), `end` = end the transaction with status `cancelled` and no receipt.
 */
export const MIFARE_CLOSE_MODES = ['continue', 'end'] as const;
export type MifareCloseMode = (typeof MIFARE_CLOSE_MODES)[number];

/** `value` as one of `allowed`, or a JpayValidationError naming `field` (the control API's, the CLI's). */
export function oneOf<T extends string>(allowed: readonly T[], value: unknown, field: string): T {
  if (!(allowed as readonly unknown[]).includes(value)) throw new JpayValidationError(field, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

export interface MifareConfig {
  enabled?: boolean;
  /** A card lying in the field at start. */
  card?: MifareCardConfig;
  /** After a `close` without a receipt: continue detecting a bank card, or end (cancelled). */
  closeWithoutReceipt?: MifareCloseMode;
}

export interface SettlementConfig {
  /** Difference between the host's total and the terminal's (minor units): non-zero = batch upload. */
  hostDifference?: number;
  /** Result of the batch upload after a mismatch. */
  batchUpload?: 'passed' | 'failed';
  /** Include the cutover fields (cov-resp-code, cov-rrn). */
  cutover?: boolean;
}

export interface FaultSpec {
  kind: FaultKind;
  /** Command it applies to (default transaction; `*` = any). */
  command?: string;
  /** How many commands it hits (default 1). */
  times?: number;
  /** delay-response: how long (ms). */
  ms?: number;
}

export interface TestCardSpec extends Partial<Omit<TestCard, 'id' | 'pan'>> {
  id: string;
  pan: string;
}

/** Everything a scenario file may set. */
export interface Scenario {
  terminal?: TerminalConfig;
  timing?: TimingConfig;
  /** Present the default test card automatically (default true). */
  autoPresent?: boolean;
  /** Test card presented automatically (id or PAN; default `visa`). */
  defaultCard?: string;
  /** Extra or replaced test cards. */
  cards?: TestCardSpec[];
  /** Outcomes for the next transactions, in order. */
  outcomes?: OutcomeSpec[];
  hostReachable?: boolean;
  sbp?: SbpConfig;
  dex?: DexConfig;
  mifare?: MifareConfig;
  settlement?: SettlementConfig;
  faults?: FaultSpec[];
}

export interface SimulatorOptions extends Scenario {
  /** Listen address for clients (default 127.0.0.1; `0.0.0.0` for the network). */
  host?: string;
  /** Client port (default 4433; 0 = random). */
  port?: number;
  /** Activator port for runreset (default 4434; 0 = random). */
  activatorPort?: number;
  /** Control HTTP API port (absent = no control API; 0 = random). */
  controlPort?: number;
  /** Control API listen address (default 127.0.0.1). */
  controlHost?: string;
  /** Scenario file path, or a scenario object; options given here override it. */
  scenario?: string | Scenario;
  /** Persist the transaction log here (atomic writes); in memory when absent. */
  logFile?: string;
  /** Largest frame accepted from a client or the activator (bytes, default 256 KiB). */
  maxFrameSize?: number;
  /**
   * Largest response frame sent (bytes, default 16 MiB): a full report of 5,000
   * transactions is about 1.5 MiB plain, 2 MiB encrypted. A larger response is replaced
   * by `systemerror`.
   */
  maxResponseFrameSize?: number;
  /** Simultaneous client connections (default 32); more are refused (closed) with a log line. */
  maxConnections?: number;
  /** RSA key size for runreset's device keys (default 2048; tests may use 1024). */
  rsaModulusLength?: number;
  /** The terminal's clock (tests). */
  clock?: () => Date;
  /** One line per command/event (the CLI prints them). Never gets a PAN, password or token. */
  logger?: (line: string) => void;
}

const DEFAULT_TIMING: Required<TimingConfig> = {
  cardDelayMs: 300,
  keepaliveIntervalMs: 1000,
  hostDelayMs: 100,
  cardTimeoutMs: 30_000,
  answerTimeoutMs: 30_000,
  firstPacketTimeoutMs: 5000,
  frameTimeoutMs: 10_000,
  faultDelayMs: 2000,
  resetKeepAliveIntervalMs: 1000,
  activatorTimeoutMs: 120_000,
};

const DEFAULT_TERMINAL: Required<Omit<TerminalConfig, 'parameters'>> = {
  tid: '10000001',
  mid: '000000000000123',
  password: DEFAULT_PASSWORD,
  currency: '643',
  language: 'ruen',
  header: ['JPAY SIMULATOR', 'Test merchant, 1 Demo street'],
  footer: ['Thank you!'],
  acquirerTag: 'jpaysim',
  bankName: 'Simulated Bank',
  manualEntry: true,
  forcedRefund: true,
};

const DEFAULT_SBP: Required<SbpConfig> = {
  enabled: false,
  tid: '90000001',
  mid: 'MA0000086770',
  payDelayMs: 1500,
  outcome: 'approved',
  cft: false,
  qrBaseUrl: 'https://qr.nspk.ru/',
};

const DEFAULT_SETTLEMENT: Required<SettlementConfig> = { hostDifference: 0, batchUpload: 'passed', cutover: true };

const DEFAULT_PARAMETERS: TerminalParameters = {
  sn: '000000000009',
  app: '1.0.67.6',
  firmwareMcu: '1.5.3',
  firmwareBoot: '2.0.1',
  os: 'CS10_V1.07_181127PK',
  sdk: '1.0.4',
  tconf: '19-04-01.01',
  ntconf: 'jpay-sim',
  cconf: '18-10-25.06',
  ncconf: 'jpay-sim-common',
  econf: '19-04-13.02',
  neconf: 'jpay-sim-emv',
  kconf: '18-08-30.04',
  nkconf: 'combined_ca_database',
  acqid: 'jpaysim',
  cccert: '24.03.2030',
  csca: '20.11.2037',
  cshost: 'config.jpay-sim.invalid',
  accert: '24.03.2030',
  asca: '12.10.2035',
  ashost: 'acquirer.jpay-sim.invalid',
  kccert: '24.03.2030',
  ksca: 'none',
  devid: 'SIM-0000000009',
};

export const DEFAULT_KERNEL_TAGS = [
  { name: '9F06', value: '{aid}' },
  { name: '9F02', value: '{amount}' },
  { name: '5F2A', value: '{currency}' },
  { name: '9C', value: '{type}' },
];

/** Merge: scenario first, then explicit options (nested config objects merge field by field). */
function mergeScenario(base: Scenario, over: Scenario): Scenario {
  const out: Scenario = { ...base, ...definedOnly(over) };
  for (const key of ['terminal', 'timing', 'sbp', 'dex', 'mifare', 'settlement'] as const) {
    if (base[key] || over[key]) (out as Record<string, unknown>)[key] = { ...definedOnly(base[key] ?? {}), ...definedOnly(over[key] ?? {}) };
  }
  return out;
}

/** The options and the scenario merged over the defaults (merged nested objects have no undefined members). */
export function resolveConfig(options: SimulatorOptions, scenario: Scenario = {}) {
  const s = mergeScenario(scenario, options);
  const { parameters, ...own } = s.terminal ?? {};
  const terminal = { ...DEFAULT_TERMINAL, ...own };
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? DEFAULT_PORT,
    activatorPort: options.activatorPort ?? DEFAULT_ACTIVATOR_PORT,
    controlPort: options.controlPort,
    controlHost: options.controlHost ?? '127.0.0.1',
    logFile: options.logFile,
    maxFrameSize: options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
    maxResponseFrameSize: options.maxResponseFrameSize ?? DEFAULT_MAX_RESPONSE_FRAME_SIZE,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    rsaModulusLength: options.rsaModulusLength ?? 2048,
    clock: options.clock ?? (() => new Date()),
    logger: options.logger ?? ((_line: string) => undefined),
    terminal: { ...terminal, parameters: { ...DEFAULT_PARAMETERS, tid: terminal.tid, mid: terminal.mid, ...parameters } },
    timing: { ...DEFAULT_TIMING, ...s.timing },
    autoPresent: s.autoPresent ?? true,
    defaultCard: s.defaultCard ?? 'visa',
    cards: s.cards ?? [],
    outcomes: s.outcomes ?? [],
    hostReachable: s.hostReachable ?? true,
    sbp: { ...DEFAULT_SBP, ...s.sbp },
    dex: { enabled: s.dex?.enabled ?? false, kernelTags: s.dex?.kernelTags ?? DEFAULT_KERNEL_TAGS },
    mifare: { enabled: s.mifare?.enabled ?? true, card: s.mifare?.card, closeWithoutReceipt: s.mifare?.closeWithoutReceipt ?? 'continue' },
    settlement: { ...DEFAULT_SETTLEMENT, ...s.settlement },
    faults: s.faults ?? [],
  };
}

export type ResolvedConfig = ReturnType<typeof resolveConfig>;

export type { Cvm, DeclineReason, FaultKind, JpayStatusCode, OutcomeSpec };
