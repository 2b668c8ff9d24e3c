export { startCollector, collectorStoreStateDirectory } from './start-collector.js';
export { startCollectorCommand } from './collector-command.js';
export type { CollectorCommandIo, CollectorCommandHandle } from './collector-command.js';
export type { StartCollectorOptions, RunningCollector } from './start-collector.js';
export {
  resolveConfig,
  readConfigFile,
  ConfigError,
  SETTING_NAMES,
  DEFAULT_COLLECTOR_STATE_ROOT,
  defaultCollectorStateDirectory,
  DEFAULT_SPOOL_ROOT,
  defaultSpoolDirectory,
} from './config.js';
export type { CollectorConfig, SettingName } from './config.js';
export { buildCollectorApp, TRACES_PATH } from './http/app.js';
export type { CollectorAppOptions, CollectorAppParts } from './http/app.js';
export { BackpressureError } from './assembler/intake-port.js';
export type { TraceIntake, IntakeRequest, HeldTraces } from './assembler/intake-port.js';
export type { Readiness, Health, Checks } from './receiver/readiness.js';
export {
  ExportPipeline,
  ExportFailure,
  FAILURE_STATUS,
  exportFailureOf,
} from './receiver/export-pipeline.js';
export type { ExportFailureKind, ExportOutcome, ExportPipelineParts } from './receiver/export-pipeline.js';
export { GrpcReceiver, TRACE_SERVICE_NAME } from './grpc/grpc-receiver.js';
export type { GrpcReceiverOptions, GrpcReceiverParts } from './grpc/grpc-receiver.js';
export { CollectorMetrics } from './receiver/metrics.js';
export { Forwarder } from './receiver/forwarder.js';
export type { ForwardingStatus } from './receiver/forwarder.js';
export { TraceAssembler } from './assembler/trace-assembler.js';
export type { TraceAssemblerOptions } from './assembler/trace-assembler.js';
export { SpoolJournal } from './assembler/spool-journal.js';
export type { IntakeJournal, JournalId } from './assembler/intake-journal.js';
export { decodeTraceRequest } from './otlp/decode-trace-request.js';
export { decodeProtobufRequest } from './otlp/decode-protobuf.js';
export { decodeJsonRequest } from './otlp/decode-json.js';
export { MalformedRequestError } from './otlp/decode-result.js';
export type { DecodedRequest } from './otlp/decode-result.js';
