// The diagnostics channels where the runtime has node:diagnostics_channel (Node, Bun, Deno): a
// subscriber hears a state change, a refusal and a traced call. Where it has none (a browser),
// the breaker runs the same with its channels inert.
import {
  CALL_CHANNEL,
  CircuitBreaker,
  REJECTED_CHANNEL,
  STATE_CHANGE_CHANNEL,
} from "../../dist/index.js";

/** Returns how many checks passed; throws on the first that fails. */
export async function channels() {
  const host = globalThis.process;
  const diagnostics = host?.getBuiltinModule?.("node:diagnostics_channel");
  const breaker = new CircuitBreaker({ name: "channels", failMax: 1 });
  if (diagnostics === undefined) {
    await breaker.call(() => Promise.reject(new Error("down"))).catch(() => undefined);
    if (breaker.state !== "open") throw new Error("a breaker without channels did not trip");
    return 1;
  }
  const heard = [];
  const onChange = (message) => heard.push(`change:${message.from}->${message.to}`);
  const onRejected = (message) => heard.push(`rejected:${message.error.name}`);
  const tracing = diagnostics.tracingChannel(CALL_CHANNEL);
  const handlers = {
    start: () => heard.push("start"),
    end: () => undefined,
    asyncStart: () => undefined,
    asyncEnd: (context) => heard.push(`asyncEnd:${context.outcome}`),
    error: () => undefined,
  };
  diagnostics.subscribe(STATE_CHANGE_CHANNEL, onChange);
  diagnostics.subscribe(REJECTED_CHANNEL, onRejected);
  tracing.subscribe(handlers);
  try {
    await breaker.call(async () => 1);
    await breaker.call(() => Promise.reject(new Error("down"))).catch(() => undefined);
    await breaker.call(() => 2).catch(() => undefined);
  } finally {
    diagnostics.unsubscribe(STATE_CHANGE_CHANNEL, onChange);
    diagnostics.unsubscribe(REJECTED_CHANNEL, onRejected);
    tracing.unsubscribe(handlers);
  }
  const expected = [
    "start",
    "asyncEnd:success",
    "start",
    "change:closed->open",
    "asyncEnd:failure",
    "start",
    "rejected:CircuitBreakerError",
    "asyncEnd:rejected",
  ].join(", ");
  if (heard.join(", ") !== expected) {
    throw new Error(`diagnostics channels: heard ${heard.join(", ")}; expected ${expected}`);
  }
  return 1;
}
