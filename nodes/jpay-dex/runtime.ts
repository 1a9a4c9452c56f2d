/**
 * jpay-dex: answers the terminal's EMV data exchange (`dex`) with tags from static rules
 * and/or from a flow. Every value is checked against the EMV tag dictionary first; a bad
 * or missing answer gets the safe default (the static tags; none when there are no rules).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { checkDexRules, dexEventPayload, dexTagsFromPayload, mergeDexTags } from './dex-rules';
import { settledStatus } from '../shared/flow-msg';
import { askTheFlow } from '../shared/flow-questions';
import type { EmvTagValue } from '../../lib/protocol/types';
import { handlerScopeOf } from '../shared/terminal-api';
import { parseSettings } from '../shared/status';
import { requireTerminal } from '../shared/terminal-lookup';
import type { NodeSetup } from '../shared/register';

const NS = 'jpay-dex';
const DEFAULT_DEX_DEADLINE_MS = 1000;

interface JpayDexDef extends NodeDef {
  terminal: string;
  /** `flow`: ask the flow (static rules are the base and the default); `static`: rules only. */
  mode?: 'flow' | 'static';
  timeout?: string | number;
  rules?: unknown;
  /** Put the PAN and track data into msg unmasked (explicit opt-in). */
  revealCardData?: boolean;
  /** 'terminal' (default): every transaction of the terminal; 'flow': only those started on this node's flow. */
  scope?: string;
}

export function setupOf(RED: NodeAPI): NodeSetup<JpayDexDef> {
  function setup(node: Node, config: JpayDexDef): void {
    const staticTags = parseSettings(node, NS, (): EmvTagValue[] => checkDexRules(config.rules ?? []));
    if (staticTags === undefined) return;
    const terminal = requireTerminal(RED, node, config.terminal, NS);
    if (!terminal) return;

    const askFlow = config.mode !== 'static';
    const reveal = config.revealCardData === true;
    const questions = askTheFlow<EmvTagValue[]>(RED, node, {
      ns: NS,
      terminal,
      deadline: config.timeout,
      defaultDeadlineMs: DEFAULT_DEX_DEADLINE_MS,
      parseAnswer: (payload) => mergeDexTags(staticTags, dexTagsFromPayload(payload)),
      onClose: () => terminal.deregisterDexHandler(node.id),
    });

    terminal.registerDexHandler(node.id, async (message, context) => {
      const payload = dexEventPayload(message, staticTags, { revealCardData: reveal });
      if (askFlow) return questions.ask('dex', payload, staticTags, context.signal);
      node.send({ topic: 'dex', payload, _jpay: { terminal: questions.terminalId } });
      questions.show(settledStatus('flow', 'static'));
      return staticTags;
    }, handlerScopeOf(config.scope, node.z));
  }

  return setup;
}
