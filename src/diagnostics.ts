import type { CircuitBreaker } from "./circuit-breaker.js";
import type { CallOutcome } from "./listener.js";

// The breaker's diagnostics channels, made once when the module loads. `node:diagnostics_channel`
// is reached through `process.getBuiltinModule` (Node >= 20.16, Bun, Deno), never imported, so
// the core stays loadable in browsers and bundlers, where these are inert stand-ins.

/** `aiobreaker:state-change`: `{ breaker, from, to }` on every change of the state a breaker reports. */
export const STATE_CHANGE_CHANNEL = "aiobreaker:state-change";
/** `aiobreaker:rejected`: `{ breaker, error }` for each call a breaker refuses without running it. */
export const REJECTED_CHANNEL = "aiobreaker:rejected";
/**
 * `aiobreaker:call`: a TracingChannel (`tracing:aiobreaker:call:start`, `:end`, `:asyncStart`,
 * `:asyncEnd`, `:error`) around each guarded call, with the context described by
 * {@link CallTraceContext}.
 */
export const CALL_CHANNEL = "aiobreaker:call";

/**
 * The context of one traced call on {@link CALL_CHANNEL}. The TracingChannel sets `result` or
 * `error` as the call's promise settles; the breaker sets `outcome` and `duration` before that,
 * so `asyncEnd` and `error` subscribers see them.
 *
 * @example
 * ```ts
 * import { tracingChannel } from "node:diagnostics_channel";
 * tracingChannel("aiobreaker:call").subscribe({
 *   start() {},
 *   end() {},
 *   asyncStart() {},
 *   asyncEnd(context) {
 *     const { breaker, outcome, duration } = context as CallTraceContext;
 *     console.log(breaker.name, outcome, duration);
 *   },
 *   error() {},
 * });
 * ```
 */
export interface CallTraceContext {
  /** The breaker the call went through. */
  readonly breaker: CircuitBreaker;
  /** The arguments the call was made with (for `execute`, none). */
  readonly args: readonly unknown[];
  /** How the call ended, once it has. */
  outcome?: CallOutcome;
  /** How long it ran, ms (monotonic); absent for a refused call. */
  duration?: number;
  /** Set by the TracingChannel: what the caller got. */
  result?: unknown;
  /** Set by the TracingChannel: what the caller's promise rejected with. */
  error?: unknown;
}

/** The part of a `node:diagnostics_channel` Channel the breaker uses. */
export interface PublishChannel {
  readonly hasSubscribers: boolean;
  publish(message: unknown): void;
}

/** The part of a `node:diagnostics_channel` TracingChannel the breaker uses. */
export interface TraceChannel {
  readonly hasSubscribers: boolean;
  tracePromise<T>(fn: () => Promise<T>, context: object): Promise<T>;
  traceSync<T>(fn: () => T, context: object): T;
}

interface DiagnosticsChannelModule {
  channel(name: string): PublishChannel;
  tracingChannel(name: string): TraceChannel;
}

const inertChannel: PublishChannel = Object.freeze({
  hasSubscribers: false,
  publish: () => undefined,
});
const inertTrace: TraceChannel = Object.freeze({
  hasSubscribers: false,
  tracePromise: <T>(fn: () => Promise<T>) => fn(),
  traceSync: <T>(fn: () => T) => fn(),
});

function loadDiagnostics(): DiagnosticsChannelModule | undefined {
  const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const module = host?.getBuiltinModule?.("node:diagnostics_channel") as
      Partial<DiagnosticsChannelModule> | undefined;
    return typeof module?.channel === "function" && typeof module.tracingChannel === "function"
      ? (module as DiagnosticsChannelModule)
      : undefined;
  } catch {
    // A runtime whose `process` stands in for Node's without the module: channels stay inert.
    return undefined;
  }
}

const diagnostics = loadDiagnostics();

/** Published on every change of a breaker's reported state. */
export const stateChangeChannel: PublishChannel =
  diagnostics?.channel(STATE_CHANGE_CHANNEL) ?? inertChannel;
/** Published for every refused call. */
export const rejectedChannel: PublishChannel =
  diagnostics?.channel(REJECTED_CHANNEL) ?? inertChannel;
/** The channels of a TracingChannel, each of which says whether it has subscribers. */
type TracingParts = Record<
  "start" | "end" | "asyncStart" | "asyncEnd" | "error",
  { readonly hasSubscribers: boolean }
>;

/**
 * The TracingChannel named `name`. Bun's has no `hasSubscribers` of its own: asked of each of
 * its channels instead, so that a subscriber there is not missed.
 */
function traceChannel(module: DiagnosticsChannelModule, name: string): TraceChannel {
  const channel: Omit<TraceChannel, "hasSubscribers"> = module.tracingChannel(name);
  if ("hasSubscribers" in channel) return channel as TraceChannel;
  const parts = channel as unknown as TracingParts;
  return {
    get hasSubscribers() {
      return (
        parts.start.hasSubscribers ||
        parts.end.hasSubscribers ||
        parts.asyncStart.hasSubscribers ||
        parts.asyncEnd.hasSubscribers ||
        parts.error.hasSubscribers
      );
    },
    tracePromise: (fn, context) => channel.tracePromise(fn, context),
    traceSync: (fn, context) => channel.traceSync(fn, context),
  };
}

/** Traces every guarded call. */
export const callChannel: TraceChannel =
  diagnostics === undefined ? inertTrace : traceChannel(diagnostics, CALL_CHANNEL);
