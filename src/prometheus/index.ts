export {
  registerPrometheusMetrics,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from "./register-prometheus-metrics.js";
export { CALL_DURATION_BUCKETS } from "../exporters/duration-buckets.js";
