export { createLedger } from './ledger/ledger.js';
export type { Ledger, LedgerOptions, PublishedEntry, HandledEntry, WaitForAllHandledOptions } from './ledger/ledger.js';
export { analyzeLedger, formatLedgerReport } from './ledger/ledger-report.js';
export type { LedgerEvent, LedgerReport, OrderViolation, MemberOrderViolation } from './ledger/ledger-report.js';
export { waitFor } from './wait/wait-for.js';
export type { WaitForOptions, Condition } from './wait/wait-for.js';
export { createFaultProxy } from './fault-proxy/fault-proxy.js';
export type { FaultProxy, FaultProxyOptions, FaultProxyStats } from './fault-proxy/fault-proxy.js';
export { uniqueName } from './names/unique-name.js';
export { recordingLogger } from './logs/recording-logger.js';
export type { LogRecord, RecordingLogger, RecordingLoggerOptions } from './logs/recording-logger.js';
export { tcpReachable, brokersRequired, REQUIRE_BROKERS_ENV } from './availability/broker-availability.js';
export type { TcpReachableOptions } from './availability/broker-availability.js';
// The conformance kit (needs Vitest) is the separate entry point `@partita/testing/vitest`.
