// Helpers for the dashboard tests: a real server on a free loopback port, and a reader of a
// server-sent-event stream that hands over each `data:` document in order.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { expect } from "vitest";
import { CircuitBreaker, CircuitBreakerMonitor } from "../src/index.js";
import { createDashboard, type DashboardOptions } from "../src/dashboard/index.js";
import type { AddressInfo } from "node:net";

/** A server listening on 127.0.0.1, and how to stop it with everything it holds. */
export interface Served {
  readonly server: Server;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  /** Closes every connection and the server; again, the same promise. */
  close(): Promise<void>;
}

/** Serves `handler` on a free loopback port. */
export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Served> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    server,
    origin: `http://127.0.0.1:${String(port)}`,
    close: () =>
      (closed ??= new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      })),
  };
}

/** One open `GET /events` stream, read document by document. */
export class EventReader {
  readonly response: Response;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  readonly #ready: unknown[] = [];

  private constructor(response: Response) {
    this.response = response;
    if (response.body === null) throw new Error("the event stream has no body");
    this.#reader = response.body.getReader();
  }

  /** Opens the stream: resolves once the response's headers are in. */
  static async open(url: string, init: RequestInit = {}): Promise<EventReader> {
    return new EventReader(await fetch(url, init));
  }

  /** The next `data:` document, parsed; rejects if the stream ends first. */
  async next(): Promise<unknown> {
    for (;;) {
      const ready = this.#ready.shift();
      if (ready !== undefined) return ready;
      const { value, done } = await this.#reader.read();
      if (done) throw new Error("the event stream ended");
      this.#buffer += this.#decoder.decode(value, { stream: true });
      let end: number;
      while ((end = this.#buffer.indexOf("\n\n")) !== -1) {
        const event = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const data = event.split("\n").filter((line) => line.startsWith("data: "));
        if (data.length > 1) throw new Error(`an event with ${String(data.length)} data lines`);
        if (data.length === 1) this.#ready.push(JSON.parse((data[0] as string).slice(6)));
      }
    }
  }

  /** The next documents until one satisfies `test`; returns that one. */
  async until<T>(test: (document: T) => boolean): Promise<T> {
    for (;;) {
      const document = (await this.next()) as T;
      if (test(document)) return document;
    }
  }

  /** Whether the server ended the stream (reads what is left). */
  async ended(): Promise<boolean> {
    for (;;) {
      const { done } = await this.#reader.read();
      if (done) return true;
    }
  }

  /** Hangs up. */
  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}

export const TOKEN = "s3cret-token";
/** What the running test must stop, in reverse order, after it. */
export const cleanups: (() => unknown)[] = [];

/** Stops what the test started (for afterEach). */
export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/** A monitor with a few breakers and a dashboard over it, served on a free port. */
export async function start(
  options: Partial<DashboardOptions> = {},
  monitor = new CircuitBreakerMonitor(),
) {
  const payments = new CircuitBreaker({
    name: "payments",
    monitor,
    failMax: 2,
    resetTimeout: 60_000,
  });
  const search = new CircuitBreaker({
    name: "search",
    monitor,
    window: { calls: 20 },
    minimumCalls: 5,
  });
  const odd = new CircuitBreaker({ name: "inventory:eu/a b", monitor });
  const dashboard = createDashboard({ monitor, ...options });
  const served = await serve(dashboard);
  cleanups.push(
    () => served.close(),
    () => {
      dashboard.close();
    },
  );
  return {
    monitor,
    payments,
    search,
    odd,
    dashboard,
    served,
    url: (path: string) => served.origin + path,
  };
}

export async function fail(breaker: CircuitBreaker, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await breaker
      .call(() => {
        throw new Error("down");
      })
      .catch(() => undefined);
  }
}

export function post(url: string, authorization?: string): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: authorization === undefined ? {} : { Authorization: authorization },
  });
}

export async function errorOf(response: Response): Promise<string> {
  const body = (await response.json()) as { error: string };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error).not.toMatch(/\n/);
  return body.error;
}

export function expectNoCookiesOrCors(response: Response): void {
  expect(response.headers.get("set-cookie")).toBeNull();
  for (const [name] of response.headers) expect(name).not.toMatch(/^access-control-/);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
}
