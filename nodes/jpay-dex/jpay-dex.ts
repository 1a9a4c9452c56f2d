/**
 * jpay-dex: answers the terminal's EMV data exchange (`dex`) with tags from static rules
 * and/or from a flow. Every value is checked against the EMV tag dictionary first; a bad
 * or missing answer gets the safe default (the static tags; none when there are no rules).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { CallbackRegistry, type CallbackWarning } from '../shared/callback-registry';
import { checkDexRules, dexEventPayload, dexTagsFromPayload, mergeDexTags } from './dex-rules';
import { WAITING_STATUS, answerRef, deadlineMs, effectiveDeadline, settledStatus, type StatusView } from '../shared/flow-msg';
import { lookupTag, validateTagValue } from '../../lib/protocol/emv-tags';
import type { EmvTagValue } from '../../lib/protocol/types';
import { getTerminal } from '../shared/terminal-lookup';

const DEFAULT_DEX_DEADLINE_MS = 1000;

interface JpayDexDef extends NodeDef {
  terminal: string;
  /** `flow`: ask the flow (static rules are the base and the default); `static`: rules only. */
  mode?: 'flow' | 'static';
  timeout?: string | number;
  rules?: unknown;
  /** Put the PAN and track data into msg unmasked (explicit opt-in). */
  revealCardData?: boolean;
}

export = function register(RED: NodeAPI): void {
  function JpayDexNode(this: Node, config: JpayDexDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: JpayDexDef): void {
    const show = (view: StatusView): void =>
      node.status({ fill: view.fill, shape: view.shape, text: `jpay-dex.status.${view.key}` });
    const warn = (w: CallbackWarning): void => node.warn(RED._(`jpay-dex.warn.${w.kind}`, { ms: String(w.timeoutMs ?? '') }));

    const terminal = getTerminal(RED, config.terminal);
    let staticTags: EmvTagValue[] = [];
    let configError: Error | undefined;
    try {
      staticTags = checkDexRules(config.rules ?? []);
    } catch (err) {
      configError = err as Error;
    }
    if (!terminal || configError) {
      const error = configError ?? new Error(RED._('jpay-dex.errors.no-terminal'));
      node.error(error.message);
      node.status({ fill: 'red', shape: 'ring', text: configError ? 'jpay-dex.status.badConfig' : 'jpay-dex.status.noTerminal' });
      node.on('input', (_msg, _send, done) => done(error));
      return;
    }

    const terminalId = terminal.id;
    const askFlow = config.mode !== 'static';
    const timeoutMs = effectiveDeadline(deadlineMs(config.timeout, DEFAULT_DEX_DEADLINE_MS), terminal.handlerTimeoutMs);
    const registry = new CallbackRegistry<EmvTagValue[]>({ onWarning: warn });
    const reveal = config.revealCardData === true;

    terminal.registerDexHandler(node.id, async (message, context) => {
      const payload = dexEventPayload(message, staticTags, { revealCardData: reveal });
      if (!askFlow) {
        node.send({ topic: 'dex', payload, _jpay: { terminal: terminalId } });
        show(settledStatus('flow', 'static'));
        return staticTags;
      }
      const { id, settled } = registry.open({ terminal: terminalId, timeoutMs, fallback: staticTags, signal: context.signal });
      if (!registry.closed) {
        show(WAITING_STATUS);
        node.send({ topic: 'dex', payload, _jpay: { id, terminal: terminalId } });
      }
      const { value, by } = await settled;
      if (!registry.closed) show(settledStatus(by));
      return value;
    });

    node.on('input', (msg, _send, done) => {
      const ref = answerRef(msg, terminalId);
      let tags: EmvTagValue[];
      try {
        tags = dexTagsFromPayload(msg.payload);
      } catch (err) {
        if (registry.reject(ref).matched) node.warn(RED._('jpay-dex.warn.invalid'));
        done(err as Error);
        return;
      }
      registry.answer(ref, mergeDexTags(staticTags, tags));
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      terminal.deregisterDexHandler(node.id);
      registry.close();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('jpay-dex', JpayDexNode);

  // The edit dialog checks each rule against the same EMV dictionary the runtime uses.
  RED.httpAdmin.get('/jpay-dex/check', RED.auth.needsPermission('jpay-dex.read'), (req, res) => {
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    const tag = text(req.query.tag).trim().toUpperCase();
    const check = validateTagValue(tag, text(req.query.value).replace(/\s/g, '').toUpperCase());
    res.json({ ok: check.ok, reason: check.ok ? undefined : check.reason, name: lookupTag(tag)?.name });
  });
};
