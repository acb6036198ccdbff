import diagnostics from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import {
  CALL_CHANNEL,
  CircuitBreaker,
  CircuitBreakerError,
  REJECTED_CHANNEL,
  STATE_CHANGE_CHANNEL,
  type CallTraceContext,
} from "../src/index.js";

const undo: (() => void)[] = [];
afterEach(() => {
  for (const step of undo.splice(0)) step();
});

function listen(name: string): unknown[] {
  const messages: unknown[] = [];
  const onMessage = (message: unknown) => messages.push(message);
  diagnostics.subscribe(name, onMessage);
  undo.push(() => {
    diagnostics.unsubscribe(name, onMessage);
  });
  return messages;
}

/** Each event with its context and the outcome the context said at that moment. */
function trace(): [string, CallTraceContext, string][] {
  const events: [string, CallTraceContext, string][] = [];
  const channel = diagnostics.tracingChannel(CALL_CHANNEL);
  const on = (name: string) => (message: unknown) => {
    const context = message as CallTraceContext;
    events.push([name, context, context.outcome ?? "-"]);
  };
  const handlers = {
    start: on("start"),
    end: on("end"),
    asyncStart: on("asyncStart"),
    asyncEnd: on("asyncEnd"),
    error: on("error"),
  };
  channel.subscribe(handlers);
  undo.push(() => {
    channel.unsubscribe(handlers);
  });
  return events;
}

describe("diagnostics channels", () => {
  it("publish every state change and every refusal, with the breaker", async () => {
    const changes = listen(STATE_CHANGE_CHANNEL);
    const rejections = listen(REJECTED_CHANNEL);
    const breaker = new CircuitBreaker({ name: "dc", failMax: 1 });
    await breaker.call(() => Promise.reject(new Error("down"))).catch(() => undefined);
    await breaker.call(() => 1).catch(() => undefined);
    breaker.close();
    expect(changes).toEqual([
      { breaker, from: "closed", to: "open" },
      { breaker, from: "open", to: "closed" },
    ]);
    expect(rejections).toEqual([{ breaker, error: expect.any(CircuitBreakerError) }]);
  });

  it("trace call, protect and execute as promises, with the outcome and duration in the context", async () => {
    const events = trace();
    const breaker = new CircuitBreaker({ name: "traced", failMax: 5 });
    expect(await breaker.call((x: number) => x + 1, 1)).toBe(2);
    await breaker
      .protect(() => Promise.reject(new Error("down")))()
      .catch(() => undefined);
    expect(await breaker.execute(() => "ran")).toBe("ran");
    // A synchronous function's outcome is known by the end of the call's synchronous part.
    expect(events.map(([name, , outcome]) => `${name}:${outcome}`)).toEqual([
      "start:-",
      "end:success",
      "asyncStart:success",
      "asyncEnd:success",
      "start:-",
      "end:-",
      "error:failure",
      "asyncStart:failure",
      "asyncEnd:failure",
      "start:-",
      "end:success",
      "asyncStart:success",
      "asyncEnd:success",
    ]);
    const [, first] = events[3] ?? [];
    expect(first?.breaker).toBe(breaker);
    expect(first?.args).toEqual([1]);
    expect(first?.result).toBe(2);
    expect(first?.duration).toBeGreaterThanOrEqual(0);
    expect((events[6]?.[1].error as Error).message).toBe("down");
  });

  it("trace a refused call with outcome rejected and no duration, and callSync synchronously", () => {
    const events = trace();
    const breaker = new CircuitBreaker();
    expect(breaker.callSync(() => 3)).toBe(3);
    breaker.open();
    expect(() => breaker.callSync(() => 4)).toThrow(CircuitBreakerError);
    expect(events.map(([name, , outcome]) => `${name}:${outcome}`)).toEqual([
      "start:-",
      "end:success",
      "start:-",
      "error:rejected",
      "end:rejected",
    ]);
    expect(events[3]?.[1].duration).toBeUndefined();
  });

  it("trace a concurrency refusal and an abort before the call began", async () => {
    const events = trace();
    const breaker = new CircuitBreaker({ maxConcurrentCalls: 1 });
    void breaker.call(() => new Promise(() => undefined));
    await breaker.call(() => 1).catch(() => undefined);
    await breaker.execute(() => 1, { signal: AbortSignal.abort() }).catch(() => undefined);
    const outcomes = events
      .filter(([name]) => name === "asyncEnd")
      .map(([, context]) => context.outcome);
    expect(outcomes).toEqual(["concurrency_limited", "neutral"]);
  });
});
