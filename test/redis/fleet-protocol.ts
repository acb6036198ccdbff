// What the fleet tests and their worker processes (fleet-worker.ts) say to each other over IPC.
import type { CircuitBreakerMode, CircuitBreakerState } from "../../src/index.js";

/** The client a worker's storage runs on, or `"memory"`: a breaker of its own (no fleet). */
export type WorkerClient = "redis@6" | "redis@5" | "ioredis@6" | "ioredis@5" | "memory";

/** The operator actions a worker runs on its breaker when told. */
export type OperatorAction =
  "open" | "close" | "halfOpen" | "forceOpen" | "disable" | "enable" | "reset";

/** Given to a worker as its one argument (JSON). */
export interface WorkerConfig {
  /** Sent with every request (header `x-worker`), so the dependency knows who called. */
  readonly id: string;
  readonly client: WorkerClient;
  readonly redisPort: number;
  /** The breaker's name: the whole fleet shares it. */
  readonly name: string;
  /** The URL of the dependency every call requests. */
  readonly dependency: string;
  readonly breaker: {
    readonly failMax: number;
    readonly resetTimeout: number;
    readonly halfOpenMaxCalls: number;
    readonly successThreshold: number;
  };
  readonly storage: { readonly resyncInterval?: number; readonly leaseTimeout?: number };
}

/** A worker's calls so far. */
export interface CallCounts {
  /** Calls the breaker let through: each sent one request to the dependency. */
  readonly sent: number;
  /** Requests answered (or failed): `sent - answered` are on their way. */
  readonly answered: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Calls refused without running. */
  readonly rejected: number;
}

/** A worker's breaker as it sees it now. */
export interface WorkerReport {
  readonly id: string;
  readonly state: CircuitBreakerState;
  readonly mode: CircuitBreakerMode;
  readonly openAttempts: number;
  readonly failCounter: number;
  readonly trialCalls: number;
  readonly counts: CallCounts;
}

/** Parent to worker. */
export type WorkerCommand =
  /** Start `concurrency` loops of calls, `pause` ms apart, until `stop`. */
  | {
      readonly type: "run";
      readonly seq: number;
      readonly concurrency: number;
      readonly pause: number;
    }
  /** End the loops; answered once their last calls settled. */
  | { readonly type: "stop"; readonly seq: number }
  /** One call; answered with its outcome once it settled. */
  | { readonly type: "call"; readonly seq: number }
  | { readonly type: "report"; readonly seq: number }
  | { readonly type: "action"; readonly seq: number; readonly action: OperatorAction }
  /** Close the storage and the client, then exit by itself. */
  | { readonly type: "exit"; readonly seq: number };

/** Worker to parent: every command is answered with its `seq` and the report after it. */
export type WorkerMessage =
  | { readonly type: "ready"; readonly report: WorkerReport }
  | {
      readonly type: "answer";
      readonly seq: number;
      readonly report: WorkerReport;
      /** For `call`: how it ended. */
      readonly outcome?: "succeeded" | "failed" | "rejected";
    };
