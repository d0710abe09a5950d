/**
 * The event-driven engine: `simulate(params) → RunResult`.
 */
export {
  simulate,
  DMA_WRITE_EVENT,
  EVENT_NAMES,
  type RunResultWithTrace,
  type SimulateOptions,
  type TraceRow,
} from "./simulate.js";
export { kupdatePeriod } from "./flusher.js";
export { cleanDelayStats, type CleanDelayStats, type CleanDelays } from "./clean-delays.js";
export { EventQueue } from "./queue.js";
export { makeStreams, PRNG_NAME, STREAM, PINNER_STREAM_BASE } from "./random.js";
