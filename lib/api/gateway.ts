/**
 * `@jpaykit/node-red-jpay/gateway`: fleet operations over MQTT (docs/fleet.md) — a
 * terminal's command gateway with its live state, and the back office's requester.
 * MQTT.js loads when a connection is first made.
 */
export {
  createCommandGateway,
  CommandGateway,
  DEFAULT_LIMITS,
  GATEWAY_COMMANDS,
  DEFAULT_COMMANDS,
  isGatewayCommand,
  ANSWER_FORMAT,
  TerminalStateModel,
  STATE_FORMAT,
  gatewayTopics,
  allStatesFilter,
  homeAssistantConfigs,
  TransactionStore,
} from '../gateway';
export type {
  CommandGatewayOptions,
  RunningGateway,
  CommandGatewayCoreOptions,
  GatewayEvents,
  GatewayLimits,
  GatewayCommand,
  GatewayAnswer,
  GatewayError,
  GatewayErrorCode,
  GatewayOutcome,
  TerminalStateSnapshot,
  ReceiptSummary,
  DayTotals,
  GatewayTopics,
  HomeAssistantOptions,
  GatewayTransport,
  InboundMessage,
  OutboundMessage,
  MqttConnectionOptions,
} from '../gateway';
export { GatewayRequester, GatewayTimeoutError, BrokerConnectionError, type RequesterOptions, type RequestOptions, type DiscoverOptions } from '../gateway/requester';
