import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CircuitBreakerGroup,
  CircuitMemoryStorage,
  type CircuitBreakerGroupOptions,
} from "../src/index.js";
import { drain } from "./support.js";

/** A memory storage that counts its closes, or fails them as told. */
class ClosingStorage extends CircuitMemoryStorage {
  closed = 0;
  readonly failure: "throw" | "reject" | undefined;
  constructor(failure?: "throw" | "reject") {
    super();
    this.failure = failure;
  }
  close(): Promise<void> {
    this.closed++;
    if (this.failure === "throw") throw new Error("close threw");
    if (this.failure === "reject") return Promise.reject(new Error("close rejected"));
    return Promise.resolve();
  }
}

function group(extra: Partial<CircuitBreakerGroupOptions> = {}, failure?: "throw" | "reject") {
  const time = { now: 0 };
  const built = new Map<string, ClosingStorage>();
  const g = new CircuitBreakerGroup({
    name: "api",
    maxKeys: 2,
    idleTimeout: 100,
    clock: { now: () => time.now },
    storage: (key) => {
      const storage = new ClosingStorage(failure);
      built.set(key, storage);
      return storage;
    },
    ...extra,
  });
  return { g, time, built };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a group closes the storage it built when it evicts its breaker", () => {
  it("evictIdle() closes each evicted breaker's storage once, and no other", () => {
    const { g, time, built } = group({ maxKeys: 10 });
    g.get("a");
    g.get("b");
    time.now = 50;
    g.get("c");
    time.now = 120;
    expect(g.evictIdle()).toBe(2);
    expect([...built].map(([key, s]) => [key, s.closed])).toEqual([
      ["a", 1],
      ["b", 1],
      ["c", 0],
    ]);
    expect(g.evictIdle()).toBe(0);
    expect(built.get("a")?.closed).toBe(1);
  });

  it("so does a full group making room, and the sweep of a new key", () => {
    const { g, time, built } = group();
    g.get("a");
    g.get("b");
    g.get("c"); // full: a, the least recently used clean breaker, goes
    expect(built.get("a")?.closed).toBe(1);
    expect(built.get("b")?.closed).toBe(0);
    time.now = 200;
    g.get("d"); // b and c are idle: the sweep evicts them
    expect([built.get("b")?.closed, built.get("c")?.closed, built.get("d")?.closed]).toEqual([
      1, 1, 0,
    ]);
  });

  it("a storage without close is evicted as before", () => {
    const { g, time } = group({ storage: () => new CircuitMemoryStorage() });
    g.get("a");
    time.now = 200;
    expect(g.evictIdle()).toBe(1);
  });

  it.each(["throw", "reject"] as const)(
    "a close that fails (%s) goes to onListenerError as a storage fault",
    async (failure) => {
      const reported: [unknown, string][] = [];
      const { g, time, built } = group(
        {
          onListenerError: (error, source) => {
            reported.push([error, source]);
          },
        },
        failure,
      );
      g.get("a");
      time.now = 200;
      expect(g.evictIdle()).toBe(1);
      await drain();
      expect(built.get("a")?.closed).toBe(1);
      expect(reported).toEqual([
        [new Error(`close ${failure === "throw" ? "threw" : "rejected"}`), "storage"],
      ]);
    },
  );

  it("without onListenerError, a failed close goes to the console, naming the breaker", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { g, time } = group({}, "reject");
    g.get("a");
    time.now = 200;
    g.evictIdle();
    await drain();
    expect(logged).toHaveBeenCalledWith(
      'aiobreaker: closing the storage of the breaker "api:a" failed',
      new Error("close rejected"),
    );
  });

  it("an onListenerError that fails itself leaves both errors on the console", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const handlerError = new Error("handler down");
    for (const onListenerError of [
      () => {
        throw handlerError;
      },
      () => Promise.reject(handlerError),
    ]) {
      logged.mockClear();
      const { g, time } = group({ onListenerError }, "throw");
      g.get("a");
      time.now = 200;
      g.evictIdle();
      await drain();
      expect(logged).toHaveBeenCalledWith(handlerError, new Error("close threw"));
    }
  });

  it("the overflow breaker's storage is not the factory's", () => {
    const { g, built } = group({ maxKeys: 1, failMax: 1 });
    void g.call("a", () => Promise.reject(new Error("down"))).catch(() => undefined);
    expect(g.get("b").name).toBe("api:overflow");
    expect([...built.keys()]).toEqual(["a"]);
  });

  it("a storage the breaker refuses is closed before get() throws", () => {
    let closed = 0;
    const notAStorage = {
      close: () => {
        closed++;
        return Promise.resolve();
      },
    };
    const { g } = group({ storage: () => notAStorage as never });
    expect(() => g.get("a")).toThrow(TypeError);
    expect(closed).toBe(1);
    expect(g.has("a")).toBe(false);
  });
});

describe("group.close()", () => {
  it("lets every breaker go, clean or not, and resolves once their storages closed", async () => {
    const { g, built } = group({ failMax: 1, onListenerError: () => undefined });
    await g.call("a", () => Promise.reject(new Error("down"))).catch(() => undefined);
    await g.call("b", () => "ok");
    expect(g.get("a").state).toBe("open");
    await g.close();
    expect([g.size, built.get("a")?.closed, built.get("b")?.closed]).toEqual([0, 1, 1]);
    // Used again, it makes breakers anew.
    expect(g.get("a").state).toBe("closed");
  });

  it("reports a storage whose close fails, and still resolves", async () => {
    const reported: string[] = [];
    const { g } = group(
      {
        onListenerError: (error, source) => reported.push(`${source}: ${(error as Error).message}`),
      },
      "reject",
    );
    g.get("a");
    await g.close();
    expect(reported).toEqual(["storage: close rejected"]);
  });
});
