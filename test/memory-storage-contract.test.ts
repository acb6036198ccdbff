import { describe, expect, it } from "vitest";
import { CircuitMemoryStorage } from "../src/index.js";
import { manual, runStorageContract } from "./storage-contract.js";

runStorageContract(
  "CircuitMemoryStorage",
  (initial, openedAt) => new CircuitMemoryStorage(initial, openedAt),
);

describe("CircuitMemoryStorage.subscribe", () => {
  it("refuses a listener that is not a function, naming it", () => {
    expect(() => new CircuitMemoryStorage().subscribe("not a function" as never)).toThrow(
      'subscribe expects a function, got "not a function"',
    );
  });

  it("ends each subscription of the same function on its own", () => {
    const storage = new CircuitMemoryStorage();
    let heard = 0;
    const listener = (): void => {
      heard++;
    };
    const endFirst = storage.subscribe(listener);
    storage.subscribe(listener);
    storage.setState("open", 1, undefined, manual(storage));
    expect(heard).toBe(2);
    endFirst();
    storage.setState("closed", undefined, undefined, manual(storage));
    expect(heard).toBe(3);
  });
});
