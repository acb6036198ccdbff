/// <reference types="node" />
import type { ServerResponse } from "node:http";
import type {
  CircuitBreaker,
  CircuitBreakerListenerHooks,
  CircuitBreakerMonitor,
} from "../index.js";
import { securityHeaders } from "./responses.js";

/**
 * The server-sent events of `GET /events`, shared by every open stream: each gets the breakers at
 * once, then again on every change (state or mode of any breaker, a breaker added or removed; a
 * burst in one tick is one push) and every `heartbeat` ms. While no stream is open nothing runs:
 * no interval, no listener on a breaker, no monitor watch.
 */
export class SnapshotStream {
  readonly #monitor: CircuitBreakerMonitor;
  readonly #heartbeat: number;
  readonly #read: () => string;
  readonly #clients = new Set<ServerResponse>();
  readonly #listened = new Set<CircuitBreaker>();
  readonly #listener: CircuitBreakerListenerHooks = {
    stateChange: () => {
      this.schedule();
    },
    modeChange: () => {
      this.schedule();
    },
  };
  #unwatch: (() => void) | undefined;
  #interval: ReturnType<typeof setInterval> | undefined;
  #pending: ReturnType<typeof setImmediate> | undefined;

  /** `read` renders the breakers as one JSON document (no raw newline: one `data:` line). */
  constructor(monitor: CircuitBreakerMonitor, heartbeat: number, read: () => string) {
    this.#monitor = monitor;
    this.#heartbeat = heartbeat;
    this.#read = read;
  }

  /** Answers a request with a stream: headers at once, then the breakers as they are. */
  open(res: ServerResponse): void {
    // Gone before the stream starts (a client that hung up while middleware ran): its "close"
    // has been emitted already, so it would never be dropped.
    if (res.socket === null || res.socket.destroyed) {
      res.destroy();
      return;
    }
    // Read first: a monitor that throws fails this request alone, before anything is held.
    const first = this.#read();
    res.writeHead(200, {
      ...securityHeaders,
      "Content-Type": "text/event-stream; charset=utf-8",
      // Proxies that buffer (nginx) would hold the pushes back.
      "X-Accel-Buffering": "no",
    });
    res.flushHeaders();
    this.#clients.add(res);
    res.on("close", () => {
      this.#drop(res);
    });
    // A socket error ends the stream; "close" follows and drops it. Without a handler the error
    // would be thrown as an uncaught "error" event.
    res.on("error", () => {
      this.#drop(res);
    });
    if (this.#clients.size === 1) this.#start();
    res.write(`retry: 1000\ndata: ${first}\n\n`);
  }

  /** Pushes to every stream on the next tick, once however often it is called before then. */
  schedule(): void {
    if (this.#clients.size === 0 || this.#pending !== undefined) return;
    this.#pending = setImmediate(() => {
      this.#pending = undefined;
      this.#push();
    });
  }

  /** Ends every open stream (for a server's shutdown): what runs for them stops. */
  close(): void {
    for (const res of [...this.#clients]) {
      this.#drop(res);
      res.end();
    }
  }

  #start(): void {
    const listener = this.#listener;
    let starting = true;
    this.#unwatch = this.#monitor.watch({
      added: (breaker) => {
        breaker.addListener(listener);
        this.#listened.add(breaker);
        // The breakers present now are in the stream's first document already.
        if (!starting) this.schedule();
      },
      removed: (breaker) => {
        breaker.removeListener(listener);
        this.#listened.delete(breaker);
        this.schedule();
      },
    });
    starting = false;
    this.#interval = setInterval(() => {
      this.#push();
    }, this.#heartbeat);
    // The streams' sockets keep a server alive while they are open; this timer must not.
    this.#interval.unref();
  }

  #stop(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    for (const breaker of this.#listened) breaker.removeListener(this.#listener);
    this.#listened.clear();
    clearInterval(this.#interval);
    this.#interval = undefined;
    clearImmediate(this.#pending);
    this.#pending = undefined;
  }

  #drop(res: ServerResponse): void {
    if (this.#clients.delete(res) && this.#clients.size === 0) this.#stop();
  }

  #push(): void {
    let json: string;
    try {
      json = this.#read();
    } catch (error) {
      // A timer has no caller to tell: the streams end (the page reconnects) and the cause is
      // reported where an operator looks.
      console.error(
        "aiobreaker dashboard: reading the breakers failed; event streams ended",
        error,
      );
      for (const res of [...this.#clients]) {
        this.#drop(res);
        res.destroy();
      }
      return;
    }
    const message = `data: ${json}\n\n`;
    for (const res of this.#clients) {
      // A reader that does not keep up skips pushes rather than buffering them: each document is
      // complete, so the next one it takes brings it up to date, and memory stays bounded.
      if (!res.writableNeedDrain) res.write(message);
    }
  }
}
