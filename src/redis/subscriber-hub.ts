import type { RedisConnection, Subscriber } from "./connection.js";

/** What a storage hears from the hub. */
export interface HubListener {
  message(message: string): void;
  /** The pub/sub connection failed (messages may be lost until it is back: the resync covers). */
  error(error: unknown): void;
}

/**
 * One pub/sub connection per user client, shared by every storage over that client: a group
 * of a thousand breakers holds one duplicate connection, not a thousand. The connection is
 * duplicated on the first subscription and closed with the last.
 */
class SubscriberHub {
  readonly #connection: RedisConnection;
  readonly #release: () => void;
  readonly #channels = new Map<string, Set<HubListener>>();
  #subscriber: Subscriber | undefined;

  constructor(connection: RedisConnection, release: () => void) {
    this.#connection = connection;
    this.#release = release;
  }

  /** Subscribes `listener` to `channel`; resolves once subscribed (or failed: reported). */
  async join(channel: string, listener: HubListener): Promise<void> {
    const subscriber = (this.#subscriber ??= this.#connection.openSubscriber((error) => {
      this.#fail(error);
    }));
    let listeners = this.#channels.get(channel);
    if (listeners !== undefined) {
      listeners.add(listener);
      return;
    }
    listeners = new Set([listener]);
    this.#channels.set(channel, listeners);
    const route = listeners;
    try {
      await subscriber.subscribe(channel, (message) => {
        for (const each of route) each.message(message);
      });
    } catch (error) {
      if (this.#subscriber === subscriber) listener.error(error);
    }
  }

  /** Ends `listener`'s subscription; the last one out closes the connection. */
  leave(channel: string, listener: HubListener): void {
    const listeners = this.#channels.get(channel);
    if (!listeners?.delete(listener)) return;
    // Joined, so the connection exists.
    const subscriber = this.#subscriber as Subscriber;
    if (listeners.size === 0) {
      this.#channels.delete(channel);
      if (this.#channels.size !== 0) {
        // The connection stays for the others; this channel's messages stop.
        subscriber.unsubscribe(channel).catch((error: unknown) => {
          this.#fail(error);
        });
      }
    }
    if (this.#channels.size === 0) {
      this.#subscriber = undefined;
      subscriber.close();
      this.#release();
    }
  }

  #fail(error: unknown): void {
    if (this.#subscriber === undefined) return;
    for (const listeners of this.#channels.values()) {
      for (const listener of listeners) listener.error(error);
    }
  }
}

const hubs = new WeakMap<object, SubscriberHub>();

/** The hub of `connection`'s client, made on first use. */
export function hubFor(connection: RedisConnection): {
  join(channel: string, listener: HubListener): Promise<void>;
  leave(channel: string, listener: HubListener): void;
} {
  const client = connection.client;
  let hub = hubs.get(client);
  if (hub === undefined) {
    const made = new SubscriberHub(connection, () => {
      if (hubs.get(client) === made) hubs.delete(client);
    });
    hub = made;
    hubs.set(client, made);
  }
  return hub;
}
