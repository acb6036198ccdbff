// The parent's side of the multi-process tests: forks fleet-worker processes (from the
// transpiled sources), sends them commands over IPC and waits for their answers, always with a
// deadline, and ends them all (SIGKILL for one that does not exit by itself).
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { transpiled } from "../support/transpiled.js";
import type { WorkerCommand, WorkerConfig, WorkerMessage, WorkerReport } from "./fleet-protocol.js";

type Answer = Extract<WorkerMessage, { type: "answer" }>;
/** A command as a test gives it: `Worker.command` numbers it. */
type WithoutSeq<C> = C extends unknown ? Omit<C, "seq"> : never;
type Command = WithoutSeq<WorkerCommand>;

/** How long any one answer may take: generous, the machine may be loaded. */
const ANSWER_TIMEOUT = 20_000;

class Worker {
  readonly id: string;
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
  alive = true;
  stderr = "";
  readonly #waiting = new Map<
    number,
    { resolve(answer: Answer): void; reject(error: Error): void }
  >();
  readonly #ready: Promise<WorkerReport>;
  #seq = 0;

  constructor(id: string, entry: string, config: WorkerConfig) {
    this.id = id;
    this.process = fork(entry, [JSON.stringify(config)], {
      execArgv: [],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.process.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    let started: (report: WorkerReport) => void = () => undefined;
    this.#ready = new Promise((resolve) => {
      started = resolve;
    });
    this.process.on("message", (message: WorkerMessage) => {
      if (message.type === "ready") {
        started(message.report);
        return;
      }
      this.#waiting.get(message.seq)?.resolve(message);
      this.#waiting.delete(message.seq);
    });
    this.exited = new Promise((resolve) => {
      this.process.once("exit", (code, signal) => {
        this.alive = false;
        const error = new Error(
          `worker ${id} exited (${String(code ?? signal)}) ${this.stderr}`.trimEnd(),
        );
        for (const waiting of this.#waiting.values()) waiting.reject(error);
        this.#waiting.clear();
        resolve();
      });
    });
  }

  /** Resolves the first message, `ready`, or rejects if the worker dies or takes too long. */
  async ready(): Promise<WorkerReport> {
    const died = this.exited.then(() => {
      throw new Error(`worker ${this.id} exited before it was ready: ${this.stderr}`);
    });
    return deadline(Promise.race([this.#ready, died]), `worker ${this.id} to start`);
  }

  async command(command: Command): Promise<Answer> {
    if (!this.alive) throw new Error(`worker ${this.id} is not running`);
    const seq = ++this.#seq;
    const answer = new Promise<Answer>((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
    });
    this.process.send({ ...command, seq });
    return deadline(answer, `worker ${this.id} to answer ${command.type}`);
  }
}

async function deadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out waiting for ${what}`));
    }, ANSWER_TIMEOUT);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** N worker processes, each with its own breaker (and its own Redis client). */
export class Fleet {
  readonly workers: readonly Worker[];

  private constructor(workers: readonly Worker[]) {
    this.workers = workers;
  }

  /** Forks one worker per config and resolves once all are ready. */
  static async start(configs: readonly WorkerConfig[]): Promise<Fleet> {
    const entry = join(transpiled(["test/redis/fleet-worker.ts"]), "test/redis/fleet-worker.js");
    const fleet = new Fleet(configs.map((config) => new Worker(config.id, entry, config)));
    try {
      await Promise.all(fleet.workers.map((worker) => worker.ready()));
    } catch (error) {
      await fleet.close();
      throw error;
    }
    return fleet;
  }

  get live(): Worker[] {
    return this.workers.filter((worker) => worker.alive);
  }

  /** Sends `command` to every live worker, resolves their reports. */
  async all(command: Command): Promise<WorkerReport[]> {
    const answers = await Promise.all(this.live.map((worker) => worker.command(command)));
    return answers.map((answer) => answer.report);
  }

  async reports(): Promise<WorkerReport[]> {
    return this.all({ type: "report" });
  }

  /** Polls the live workers' reports until `check` holds (20 s at most); resolves them. */
  async until(check: (reports: WorkerReport[]) => boolean, what: string): Promise<WorkerReport[]> {
    const end = Date.now() + ANSWER_TIMEOUT;
    for (;;) {
      const reports = await this.reports();
      if (check(reports)) return reports;
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(reports)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** `kill -9` of one worker. */
  async kill(worker: Worker): Promise<void> {
    worker.process.kill("SIGKILL");
    await worker.exited;
  }

  /**
   * Tells every live worker to exit, and kills any that has not within the deadline: then
   * rejects, naming it (a worker must exit by itself once its storage and client are closed).
   */
  async close(): Promise<void> {
    const stuck: string[] = [];
    await Promise.all(
      this.workers.map(async (worker) => {
        if (worker.alive) {
          await worker.command({ type: "exit" }).catch(() => undefined);
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 10_000);
        });
        await Promise.race([worker.exited, late]);
        clearTimeout(timer);
        if (worker.alive) {
          stuck.push(worker.id);
          worker.process.kill("SIGKILL");
          await worker.exited;
        }
      }),
    );
    if (stuck.length !== 0)
      throw new Error(`workers ${stuck.join(", ")} did not exit by themselves`);
  }
}
