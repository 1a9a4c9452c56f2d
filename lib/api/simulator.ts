/**
 * `@jpaykit/node-red-jpay/simulator`: jpay-sim, a JPAY terminal in-process, for tests and
 * demos: test cards, magic amounts, scenarios and faults (docs/simulator.md).
 */
export {
  startSimulator,
  type SimulatorHandle,
  DEFAULT_ACTIVATOR_PORT,
  DEFAULT_PASSWORD,
  DEFAULT_PORT,
  type Scenario,
  type SimulatorOptions,
  type FaultSpec,
  type SbpOutcome,
  type MifareCardConfig,
  type OutcomeSpec,
  type DeclineReason,
  type FaultKind,
  type Cvm,
  DECLINE_REASONS,
  FAULT_KINDS,
  TEST_CARDS,
  type TestCard,
  MAGIC_AMOUNTS,
  MAGIC_BASE,
  magicOutcome,
  type LogRecord,
  type SimulatorEvent,
  SCENARIO_SCHEMA,
  loadScenarioFile,
  validateScenario,
} from '../simulator';
