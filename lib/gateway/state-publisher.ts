/**
 * Publishes a TerminalStateModel as the retained `<prefix>/<tid>/state` (QoS 1): on every
 * change, at most once per `intervalMs` (the last change always goes out), again after
 * every reconnect, and `offline` when it stops. With Home Assistant discovery on, the
 * retained `<discovery prefix>/sensor/jpay_<tid>/<sensor>/config` messages make the
 * terminal a device with a few sensors that read the state topic.
 */
import type { GatewayTopics } from './topics';
import type { TerminalStateModel, TerminalStateSnapshot } from './terminal-state';
import type { GatewayTransport } from './transport';

export interface HomeAssistantOptions {
  /** Discovery prefix (default `homeassistant`). */
  prefix?: string;
  /** Device name (default `JPAY terminal <tid>`). */
  name?: string;
}

export interface StatePublisherOptions {
  intervalMs: number;
  homeAssistant?: HomeAssistantOptions;
  warn(error: Error): void;
}

export const DEFAULT_STATE_INTERVAL_MS = 1000;

/** A node id for Home Assistant: letters, digits, _ and - only. */
function haId(terminalId: string): string {
  return `jpay_${terminalId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

const SENSORS: readonly { object: string; name: string; template: string; icon: string }[] = [
  { object: 'state', name: 'State', template: '{{ value_json.state }}', icon: 'mdi:credit-card-outline' },
  { object: 'display', name: 'Display', template: "{{ value_json.display.text if value_json.display is defined else '' }}", icon: 'mdi:monitor' },
  {
    object: 'last_receipt',
    name: 'Last receipt',
    template:
      "{% set r = value_json.lastReceipt if value_json.lastReceipt is defined else none %}{{ ('%s %s %.2f' % (r.type, 'approved' if r.approved else 'declined', (r.amount or 0) / 100)) if r else '' }}",
    icon: 'mdi:receipt-text-outline',
  },
  { object: 'approved_today', name: 'Approved today', template: '{{ value_json.today.approved }}', icon: 'mdi:counter' },
  { object: 'recovery_backlog', name: 'Unresolved payments', template: '{{ value_json.backlog.recovery | default(0) }}', icon: 'mdi:alert-circle-outline' },
];

/** The retained discovery messages (topic → config) of one terminal. */
export function homeAssistantConfigs(topics: GatewayTopics, options: HomeAssistantOptions = {}): { topic: string; config: Record<string, unknown> }[] {
  const node = haId(topics.terminalId);
  const prefix = options.prefix?.trim() || 'homeassistant';
  const device = { identifiers: [node], name: options.name?.trim() || `JPAY terminal ${topics.terminalId}`, manufacturer: 'JPAY', model: 'payment terminal' };
  return SENSORS.map((s) => ({
    topic: `${prefix}/sensor/${node}/${s.object}/config`,
    config: {
      name: s.name,
      unique_id: `${node}_${s.object}`,
      object_id: `${node}_${s.object}`,
      state_topic: topics.state,
      value_template: s.template,
      icon: s.icon,
      ...(s.object === 'state' ? { json_attributes_topic: topics.state } : {}),
      availability_topic: topics.state,
      availability_template: "{{ 'offline' if value_json.state == 'offline' else 'online' }}",
      device,
    },
  }));
}

export class StatePublisher {
  readonly #transport: GatewayTransport;
  readonly #topics: GatewayTopics;
  readonly #model: TerminalStateModel;
  readonly #options: StatePublisherOptions;
  #timer: NodeJS.Timeout | undefined;
  #lastSent = -Infinity;
  #dirty = false;
  #stopped = false;
  readonly #off: (() => void)[] = [];

  constructor(transport: GatewayTransport, topics: GatewayTopics, model: TerminalStateModel, options: StatePublisherOptions) {
    this.#transport = transport;
    this.#topics = topics;
    this.#model = model;
    this.#options = options;
  }

  start(): void {
    const onChange = (): void => this.#changed();
    this.#model.on('change', onChange);
    this.#off.push(() => this.#model.off('change', onChange));
    this.#off.push(
      this.#transport.onConnection((up) => {
        if (!up || this.#stopped) return;
        this.#discovery();
        this.#send();
      }),
    );
    if (this.#transport.connected) {
      this.#discovery();
      this.#send();
    }
  }

  /**
   * Publishes `offline` (reason `closed`) at once — before the first await — and resolves
   * when the broker acknowledged it, or after timeoutMs.
   */
  stop(timeoutMs: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    clearTimeout(this.#timer);
    for (const off of this.#off.splice(0)) off();
    this.#model.setOffline('closed');
    this.#stopped = true;
    if (!this.#transport.connected) return Promise.resolve();
    const sent = this.#publish(this.#model.snapshot()).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([sent, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]).finally(() => clearTimeout(timer));
  }

  #changed(): void {
    if (this.#stopped) return;
    this.#dirty = true;
    if (this.#timer) return;
    const wait = this.#lastSent + this.#options.intervalMs - performance.now();
    if (wait <= 0) {
      this.#send();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#dirty) this.#send();
    }, wait);
  }

  #send(): void {
    if (this.#stopped || !this.#transport.connected) return;
    this.#dirty = false;
    this.#lastSent = performance.now();
    this.#publish(this.#model.snapshot()).catch((error: Error) => this.#options.warn(error));
  }

  #publish(snapshot: TerminalStateSnapshot): Promise<void> {
    return this.#transport.publish({ topic: this.#topics.state, payload: JSON.stringify(snapshot), qos: 1, retain: true, contentType: 'application/json' });
  }

  #discovery(): void {
    const ha = this.#options.homeAssistant;
    if (!ha) return;
    for (const { topic, config } of homeAssistantConfigs(this.#topics, ha)) {
      this.#transport.publish({ topic, payload: JSON.stringify(config), qos: 1, retain: true }).catch((error: Error) => this.#options.warn(error));
    }
  }
}
