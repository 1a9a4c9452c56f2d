/**
 * jpay-dex: adds EMV tags (DEX) to the terminal's transactions from the flow. This file
 * registers the type; the node's code is in runtime.ts and loads with the first jpay-dex node,
 * so Node-RED starts without it.
 */
import type { NodeAPI } from 'node-red';
import { registerNode } from '../shared/register';
import type * as Runtime from './runtime';
import type * as EmvTags from '../../lib/protocol/emv-tags';

export = function register(RED: NodeAPI): void {
  registerNode(RED, 'jpay-dex', () => (require('./runtime') as typeof Runtime).setupOf(RED));

  // The edit dialog checks each rule against the same EMV dictionary the runtime uses.
  RED.httpAdmin.get('/jpay-dex/check', RED.auth.needsPermission('jpay-dex.read'), (req, res) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the EMV dictionary loads with the first check, not at start
    const emvTags = require('../../lib/protocol/emv-tags') as typeof EmvTags;
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    const tag = text(req.query.tag).trim().toUpperCase();
    const check = emvTags.validateTagValue(tag, text(req.query.value).replace(/\s/g, '').toUpperCase());
    res.json({ ok: check.ok, reason: check.ok ? undefined : check.reason, name: emvTags.lookupTag(tag)?.name });
  });
};
