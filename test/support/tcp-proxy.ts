// A TCP proxy on a free loopback port in front of one server: cutting it partitions the clients
// behind it from that server (the others still reach it), healing it lets them reconnect.
import { createConnection, createServer, type Server, type Socket } from "node:net";

export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #target: number;
  #cut = false;
  #port = 0;

  private constructor(target: number) {
    this.#target = target;
    this.#server = createServer((client) => {
      this.#accept(client);
    });
  }

  /** A proxy to 127.0.0.1:`target` on a free port. */
  static async start(target: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    proxy.#port = await new Promise<number>((resolve, reject) => {
      proxy.#server.once("error", reject);
      proxy.#server.listen(0, "127.0.0.1", () => {
        const address = proxy.#server.address();
        if (address === null || typeof address === "string") reject(new Error("no port"));
        else resolve(address.port);
      });
    });
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  #accept(client: Socket): void {
    if (this.#cut) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ port: this.#target, host: "127.0.0.1" });
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on("error", () => {
        socket.destroy();
      });
      socket.on("close", () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Drops every connection and refuses new ones. */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  heal(): void {
    this.#cut = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
}
