// A local HTTP dependency that counts the requests it gets (by the `x-worker` header of the
// caller) and answers as the test says: 503 at once (down), 200 at once (up), or not until the
// test releases them (hold).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export type DependencyMode = "down" | "up" | "hold";

/** A request the dependency holds, answered by `release`. */
export interface HeldRequest {
  readonly worker: string;
  readonly response: ServerResponse;
}

export class HttpDependency {
  /** How it answers the next requests. */
  mode: DependencyMode = "down";
  /** Every request, in arrival order: the caller's `x-worker`. */
  readonly requests: string[] = [];
  readonly held: HeldRequest[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  private constructor() {
    this.#server = createServer((request, response) => {
      this.#handle(request, response);
    });
    this.#server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => this.#sockets.delete(socket));
    });
  }

  static async start(): Promise<HttpDependency> {
    const dependency = new HttpDependency();
    await new Promise<void>((resolve, reject) => {
      dependency.#server.once("error", reject);
      dependency.#server.listen(0, "127.0.0.1", () => {
        const address = dependency.#server.address();
        if (address !== null && typeof address === "object") dependency.#port = address.port;
        resolve();
      });
    });
    return dependency;
  }

  get url(): string {
    return `http://127.0.0.1:${String(this.#port)}/`;
  }

  /** Requests from `worker`. */
  from(worker: string): number {
    return this.requests.filter((id) => id === worker).length;
  }

  /** Answers every held request with `status` (but those whose caller is gone). */
  release(status: number): void {
    for (const { response } of this.held.splice(0)) {
      if (!response.socket?.destroyed) answer(response, status);
    }
  }

  async stop(): Promise<void> {
    this.release(503);
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve();
      }),
    );
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const worker = request.headers["x-worker"];
    const id = typeof worker === "string" ? worker : "?";
    this.requests.push(id);
    request.resume();
    if (this.mode === "hold") this.held.push({ worker: id, response });
    else answer(response, this.mode === "up" ? 200 : 503);
  }
}

function answer(response: ServerResponse, status: number): void {
  response.writeHead(status, { connection: "close", "content-type": "text/plain" });
  response.end(status === 200 ? "ok" : "down");
}
