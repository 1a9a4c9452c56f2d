/**
 * The gateway's topics (docs/fleet.md): under `<prefix>/<tid>/`
 *   cmd/<command>   requests from the back office (QoS 1)
 *   res/<id>        answers, unless an MQTT 5 request names its own response topic
 *   res/_invalid    answers to requests without a usable id and without a response topic
 *   state           the terminal's live state, retained (last will: offline)
 * `<prefix>` and `<tid>` follow the receipt topics' rules (lib/publish/topics.ts).
 */
import { JpayValidationError } from '../errors';
import { checkTerminalId, normalizePrefix } from '../publish/topics';

export interface GatewayTopics {
  prefix: string;
  terminalId: string;
  /** The subscription: every command of this terminal. */
  commands: string;
  state: string;
  /** Answers to requests whose id cannot name a topic. */
  invalidResponse: string;
  command(name: string): string;
  response(id: string): string;
}

/** A request id: 1–64 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or digit (so never `_invalid`). */
export const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const MAX_REQUEST_ID_LENGTH = 64;

export function gatewayTopics(prefix: string | undefined, terminalId: string): GatewayTopics {
  const p = normalizePrefix(prefix);
  const tid = checkTerminalId(terminalId);
  const base = `${p}/${tid}`;
  return {
    prefix: p,
    terminalId: tid,
    commands: `${base}/cmd/+`,
    state: `${base}/state`,
    invalidResponse: `${base}/res/_invalid`,
    command: (name) => `${base}/cmd/${name}`,
    response: (id) => {
      if (!REQUEST_ID.test(id)) throw new JpayValidationError('id', 'must be 1 to 64 letters, digits, ., _, : or -, starting with a letter or digit');
      return `${base}/res/${id}`;
    },
  };
}

/** The command named by a request topic of this terminal, or undefined when the topic is not one. */
export function commandOfTopic(topics: GatewayTopics, topic: string): string | undefined {
  const head = `${topics.prefix}/${topics.terminalId}/cmd/`;
  if (!topic.startsWith(head)) return undefined;
  const name = topic.slice(head.length);
  return name === '' || name.includes('/') ? undefined : name;
}

/** The state subscription of every terminal under a prefix, and the terminal a state topic belongs to. */
export function allStatesFilter(prefix: string | undefined): string {
  return `${normalizePrefix(prefix)}/+/state`;
}

export function terminalOfStateTopic(prefix: string, topic: string): string | undefined {
  const head = `${prefix}/`;
  if (!topic.startsWith(head) || !topic.endsWith('/state')) return undefined;
  const tid = topic.slice(head.length, -'/state'.length);
  return tid === '' || tid.includes('/') ? undefined : tid;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Why an MQTT 5 response topic is not used, or undefined when it is. A response topic is
 * a topic the gateway publishes on for whoever sent the request, so it must not let a
 * requester write where the gateway's own messages live: inside the prefix only this
 * terminal's `res/…` is allowed (never another terminal's tree, its state or its
 * commands); outside the prefix the broker's ACL for the gateway's account decides.
 */
export function responseTopicProblem(topics: GatewayTopics, topic: string): string | undefined {
  if (topic === '' || topic.length > 256) return 'must be 1 to 256 characters';
  if (/[+#]/.test(topic) || hasControl(topic)) return 'must not contain +, # or control characters';
  if (topic.startsWith('$')) return 'must not start with $';
  const own = `${topics.prefix}/${topics.terminalId}/res/`;
  if (topic === topics.prefix || topic.startsWith(`${topics.prefix}/`)) {
    if (!topic.startsWith(own) || topic.length === own.length) return `inside ${topics.prefix}/ it must be under ${own}`;
  }
  return undefined;
}
