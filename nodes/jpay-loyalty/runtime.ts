/**
 * jpay-loyalty: the MIFARE loyalty / stored-value card handler of a terminal. Runs each
 * whole card session itself (read, repair, operate, verify, close with the receipt) and
 * emits the outcome. The input arms the operation for the next card. It is an alternative
 * to jpay-card: a terminal has one card handler. The logic lives in loyalty-*.ts beside this file.
 *
 * Layout version 2: the program key and older keys are credentials (type password); the
 * shadow ledger is a file in the user directory, replicated through a core mqtt-broker
 * config node when one is chosen. Security alerts (tampered, rollback, conflict) go to the
 * second output.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ERROR_CODES, JpayFlowError } from '../shared/errors';
import { parseLoyaltyConfig, type LoyaltyConfig, type LoyaltyCredentials, type LoyaltyProgram } from './loyalty-config';
import { LoyaltyController, type Armed } from './loyalty-controller';
import { parseLoyaltyInput, type LoyaltyInput } from './loyalty-input';
import { ALERT_STATUSES, conflictPayload, type LoyaltyPayload, type LoyaltyStatus } from './loyalty-output';
import type { LoyaltyReport } from './loyalty-session';
import { ShadowLedger } from '../../lib/mifare/ledger';
import { CoreBrokerTransport, getCoreBroker, ledgerTransport } from '../shared/core-mqtt-transport';
import { handlerScopeOf } from '../shared/terminal-api';
import { configError, parseSettings, refusal, type InputHandler, type StatusKind } from '../shared/status';
import { connectUser, derivedMessage, type UserNode } from '../shared/user-node';
import type { NodeSetup } from '../shared/register';

const NS = 'jpay-loyalty';

interface JpayLoyaltyDef extends NodeDef, LoyaltyConfig {
  terminal: string;
  /** 'terminal' (default): every transaction of the terminal; 'flow': only those started on this node's flow. */
  scope?: string;
  /** A core mqtt-broker config node: the ledger is shared through it (empty: this machine only). */
  broker?: string;
}

type LoyaltyNode = Node<LoyaltyCredentials>;

/** 4550 → "45.50": display only (the payload keeps integers). */
function money(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}

/** The status each outcome shows (committed, settled and rejected cards say more). */
const OUTCOME_STATUS: Record<Exclude<LoyaltyStatus, 'committed' | 'settled' | 'rejected-card'>, [StatusKind, string]> = {
  uncertain: ['busy', 'uncertain'],
  'not-committed': ['error', 'notCommitted'],
  refused: ['error', 'refused'],
  unreadable: ['error', 'unreadable'],
  unpaid: ['error', 'unpaid'],
  compensated: ['ok', 'compensated'],
  tampered: ['error', 'tampered'],
  rollback: ['error', 'rollback'],
  conflict: ['error', 'conflict'],
};

export function setupOf(RED: NodeAPI): NodeSetup<JpayLoyaltyDef, LoyaltyCredentials> {
  function setup(node: LoyaltyNode, config: JpayLoyaltyDef): void {
    const user = connectUser(RED, node, config.terminal, NS);
    if (!user) return;

    const userDir = (RED.settings as unknown as { userDir?: unknown }).userDir;
    const program = parseSettings(node, NS, () => parseLoyaltyConfig(config, node.credentials ?? {}, typeof userDir === 'string' ? { userDir } : {}));
    if (program === undefined) return;
    if (program.ledger === undefined) {
      node.on('input', run(node, user, program, config.scope));
      return;
    }
    // Until the ledger is open, a msg is refused with a clear error (none is dropped).
    let input: InputHandler = (_msg, _send, done) => done(new JpayFlowError(ERROR_CODES.validation, RED._(`${NS}.errors.not-ready`)));
    node.on('input', (msg, send, done) => input(msg, send, done));
    const ledgerConfig = program.ledger;
    const keys = program.layout.keys;
    let broker: CoreBrokerTransport | undefined;
    if (typeof config.broker === 'string' && config.broker !== '') {
      const core = getCoreBroker(RED, config.broker);
      if (core) broker = new CoreBrokerTransport(core, `${node.id}:ledger`);
      else {
        input = refusal(node, `${NS}.status.badConfig`, configError(RED._(`${NS}.errors.no-broker`)));
        return;
      }
    }
    user.status('busy', `${NS}.status.openingLedger`);
    const opening = ShadowLedger.open({
      file: ledgerConfig.file,
      programId: program.layout.programId,
      keys: keys!,
      unknownCards: ledgerConfig.unknownCards,
      unknownCardLimit: ledgerConfig.unknownCardLimit,
      topicPrefix: ledgerConfig.topicPrefix,
      ...(ledgerConfig.origin !== undefined ? { origin: ledgerConfig.origin } : {}),
      ...(broker ? { transport: ledgerTransport(broker) } : {}),
      warn: (message) => node.warn(message),
    });
    // The node closes only once the ledger is open (then closed again) or failed.
    let closing = false;
    user.onClose(() => {
      closing = true;
    });
    void user.track(
      opening.then(
        async (ledger) => {
          if (closing) {
            await ledger.close();
            await broker?.close();
            return;
          }
          user.status('clear');
          input = run(node, user, program, config.scope, ledger, broker);
        },
        async (err: Error) => {
          await broker?.close();
          if (closing) return;
          input = refusal(node, `${NS}.status.ledgerFailed`, configError(RED._(`${NS}.errors.ledger`, { detail: err.message })));
        },
      ),
    );
  }

  /** `#1001: 380 ★ · 45.50`: numbers only, so it needs no translation. */
  function summary(p: LoyaltyPayload): string {
    const state = p.after ?? p.before;
    const parts: string[] = [];
    if (state?.points !== undefined) parts.push(`${state.points} ★`);
    if (state?.balance !== undefined) parts.push(money(state.balance));
    return `#${p.memberId ?? '?'}: ${parts.join(' · ')}`;
  }

  function showOutcome(user: UserNode, p: LoyaltyPayload): void {
    if (p.status === 'committed') user.status('ok', summary(p));
    else if (p.status === 'settled') user.status(p.settled === 'committed' || p.settled === 'not-committed' ? 'ok' : 'error', `${NS}.status.settled.${p.settled ?? 'unknown'}`);
    else if (p.status === 'rejected-card') user.status('error', `${NS}.status.${p.card === 'blank' ? 'blankCard' : p.card === 'foreign' ? 'foreignCard' : 'corruptedCard'}`);
    else user.status(OUTCOME_STATUS[p.status][0], `${NS}.status.${OUTCOME_STATUS[p.status][1]}`);
  }

  /** Runs the program on the terminal; returns the node's input handler. */
  function run(node: Node, user: UserNode, program: LoyaltyProgram, scope: string | undefined, ledger?: ShadowLedger, broker?: CoreBrokerTransport): InputHandler {
    const terminal = user.terminal;

    const emit = (report: LoyaltyReport<NodeMessage>): void => {
      if (user.closing) return;
      const { payload, origin } = report;
      const topic = `loyalty/${payload.status}`;
      const msg = origin ? derivedMessage(RED, origin, topic, payload) : { topic, payload };
      showOutcome(user, payload);
      if (payload.status === 'rejected-card') {
        // A clear error for Catch nodes; the card was not written.
        const reason = payload.error?.code ?? 'corrupted-card';
        const text = RED._(`${NS}.errors.${reason}`, { detail: payload.error?.message ?? '' });
        node.error(new JpayFlowError(ERROR_CODES.validation, text), msg);
        return;
      }
      // Security alerts have their own output, to be wired to whoever must know.
      node.send(ALERT_STATUSES.has(payload.status) ? [null, msg] : [msg, null]);
    };
    ledger?.on('conflict', (entry) => emit({ payload: conflictPayload(program.layout.programId, entry) }));

    const controller = new LoyaltyController<NodeMessage>({
      program,
      ...(ledger ? { ledger } : {}),
      warn: (message) => node.warn(message),
      report: emit,
      started: () => user.status('busy', `${NS}.status.card`),
      expired: (armed: Armed<NodeMessage>) => {
        if (user.closing) return;
        node.warn(RED._(`${NS}.warn.expired`, { operation: armed.operation.operation }));
        user.status('clear');
      },
      track: (work) => {
        void user.track(work);
      },
    });
    terminal.registerCardHandler(node.id, (message, context) => controller.handleCard(message, context), handlerScopeOf(scope, node.z));
    user.onClose(() => {
      terminal.deregisterCardHandler(node.id);
      controller.close();
      // The ledger closes after the last card session's records are written.
      if (ledger) void user.track(controller.idle().then(() => ledger.close()).then(() => broker?.close()));
    });

    return (msg, _send, done) => {
      let input: LoyaltyInput;
      try {
        input = parseLoyaltyInput(msg.payload, program);
      } catch (err) {
        user.fail(done, err, `${NS}.status.badInput`);
        return;
      }
      if (input.operation === 'cancel') {
        if (controller.cancel() === undefined) node.warn(RED._(`${NS}.warn.nothing-armed`));
        user.status('clear');
        done();
        return;
      }
      const replaced = controller.arm(input, RED.util.cloneMessage(msg));
      if (replaced) node.warn(RED._(`${NS}.warn.replaced`, { operation: replaced.operation.operation }));
      user.status('busy', `${NS}.status.armed.${input.operation}`);
      done();
    };
  }

  return setup;
}
