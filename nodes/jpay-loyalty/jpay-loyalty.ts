/**
 * jpay-loyalty: the MIFARE loyalty / stored-value card handler of a terminal. Runs each
 * whole card dialogue itself (read, repair, operate, verify, close with the receipt) and
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
import { type LoyaltyConfig, type LoyaltyCredentials, type LoyaltyProgram, parseLoyaltyConfig } from './loyalty-config';
import { type Armed, LoyaltyController } from './loyalty-controller';
import { type LoyaltyInput, parseLoyaltyInput } from './loyalty-input';
import { ALERT_STATUSES, type LoyaltyPayload, conflictPayload } from './loyalty-output';
import type { LoyaltyReport } from './loyalty-session';
import { ShadowLedger } from '../../lib/mifare/ledger';
import { CoreBrokerTransport, getCoreBroker, ledgerTransport } from '../shared/core-mqtt-transport';
import { connectUser, derivedMessage, type UserNode } from '../shared/user-node';

const NS = 'jpay-loyalty';

interface JpayLoyaltyDef extends NodeDef, LoyaltyConfig {
  terminal: string;
  /** A core mqtt-broker config node: the ledger is shared through it (empty: this machine only). */
  broker?: string;
}

type LoyaltyNode = Node<LoyaltyCredentials>;
type InputHandler = (msg: NodeMessage, send: (msg: NodeMessage | (NodeMessage | null)[]) => void, done: (err?: Error) => void) => void;

/** 4550 → "45.50": display only (the payload keeps integers). */
function money(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}

export = function register(RED: NodeAPI): void {
  function JpayLoyaltyNode(this: LoyaltyNode, config: JpayLoyaltyDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  /** The node cannot work: red status, the reason logged once; returns the input handler that fails every msg with it. */
  function disabled(node: Node, error: JpayFlowError, statusKey: string): InputHandler {
    node.status({ fill: 'red', shape: 'ring', text: `${NS}.status.${statusKey}` });
    node.error(error.message);
    return (_msg, _send, done) => done(error);
  }

  function setup(node: LoyaltyNode, config: JpayLoyaltyDef): void {
    const user = connectUser(RED, node, config.terminal, NS);
    if (!user) return;

    let program: LoyaltyProgram;
    try {
      const userDir = (RED.settings as unknown as { userDir?: unknown }).userDir;
      program = parseLoyaltyConfig(config, node.credentials ?? {}, typeof userDir === 'string' ? { userDir } : {});
    } catch (err) {
      node.on('input', disabled(node, new JpayFlowError(ERROR_CODES.validation, (err as Error).message), 'badConfig'));
      return;
    }
    if (program.ledger === undefined) {
      node.on('input', run(node, user, program));
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
        input = disabled(node, new JpayFlowError(ERROR_CODES.validation, RED._(`${NS}.errors.no-broker`)), 'badConfig');
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
          input = run(node, user, program, ledger, broker);
        },
        async (err: Error) => {
          await broker?.close();
          if (closing) return;
          input = disabled(node, new JpayFlowError(ERROR_CODES.validation, RED._(`${NS}.errors.ledger`, { detail: err.message })), 'ledgerFailed');
        },
      ),
    );
  }

  function summary(p: LoyaltyPayload): string {
    const state = p.after ?? p.before;
    const parts: string[] = [];
    if (state?.points !== undefined) parts.push(RED._(`${NS}.status.points`, { points: String(state.points) }));
    if (state?.balance !== undefined) parts.push(money(state.balance));
    return `#${p.memberId ?? '?'}: ${parts.join(' · ')}`;
  }

  function showOutcome(user: UserNode, p: LoyaltyPayload): void {
    switch (p.status) {
      case 'committed':
        user.status('ok', summary(p));
        return;
      case 'settled':
        user.status(p.settled === 'unknown' ? 'error' : 'ok', RED._(`${NS}.status.settled`, { result: RED._(`${NS}.settled.${p.settled ?? 'unknown'}`) }));
        return;
      case 'uncertain':
        user.status('busy', `${NS}.status.uncertain`);
        return;
      case 'not-committed':
        user.status('error', `${NS}.status.notCommitted`);
        return;
      case 'refused':
        user.status('error', RED._(`${NS}.status.refused`, { code: p.error?.code ?? '' }));
        return;
      case 'rejected-card':
        user.status('error', `${NS}.status.${p.card === 'blank' ? 'blankCard' : p.card === 'foreign' ? 'foreignCard' : 'corruptedCard'}`);
        return;
      case 'unreadable':
        user.status('error', `${NS}.status.unreadable`);
        return;
      case 'unpaid':
        user.status('error', `${NS}.status.unpaid`);
        return;
      case 'compensated':
        user.status('ok', RED._(`${NS}.status.compensated`, { summary: summary(p) }));
        return;
      case 'tampered':
        user.status('error', RED._(`${NS}.status.tampered`, { uid: p.uid ?? '?' }));
        return;
      case 'rollback':
        user.status('error', RED._(`${NS}.status.rollback`, { uid: p.uid ?? '?' }));
        return;
      case 'conflict':
        user.status('error', RED._(`${NS}.status.conflict`, { uid: p.uid ?? '?' }));
    }
  }

  /** Runs the program on the terminal; returns the node's input handler. */
  function run(node: Node, user: UserNode, program: LoyaltyProgram, ledger?: ShadowLedger, broker?: CoreBrokerTransport): InputHandler {
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
    terminal.registerCardHandler(node.id, (message, context) => controller.handleCard(message, context));
    user.onClose(() => {
      terminal.deregisterCardHandler(node.id);
      controller.close();
      // The ledger closes after the last dialogue's records are written.
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
      user.status('busy', RED._(`${NS}.status.armed`, { operation: RED._(`${NS}.operation.${input.operation}`) }));
      done();
    };
  }

  RED.nodes.registerType<LoyaltyNode, JpayLoyaltyDef, unknown, LoyaltyCredentials>('jpay-loyalty', JpayLoyaltyNode, {
    credentials: { key: { type: 'password' }, previousKeys: { type: 'password' } },
  });
};
