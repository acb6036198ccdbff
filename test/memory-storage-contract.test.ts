import { CircuitMemoryStorage } from "../src/index.js";
import { runStorageContract } from "./storage-contract.js";

runStorageContract(
  "CircuitMemoryStorage",
  (initial, openedAt) => new CircuitMemoryStorage(initial, openedAt),
);
