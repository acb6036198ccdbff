export {
  instrumentOpenTelemetry,
  OTEL_ATTRIBUTES,
  type OpenTelemetryInstrumentation,
  type OpenTelemetryOptions,
} from "./instrument-open-telemetry.js";
export { CALL_DURATION_BUCKETS } from "../exporters/duration-buckets.js";
