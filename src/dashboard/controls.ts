import type { CircuitBreaker } from "../index.js";

/** The control actions, as they appear in `POST /breakers/<name>/<action>`. */
export const CONTROL_ACTIONS = [
  "open",
  "close",
  "reset",
  "force-open",
  "disable",
  "enable",
] as const;

/** One of {@link CONTROL_ACTIONS}. */
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

const actions: ReadonlySet<string> = new Set(CONTROL_ACTIONS);

/** Whether `value` names a control action. */
export function isControlAction(value: string): value is ControlAction {
  return actions.has(value);
}

/** Runs a control action on a breaker, through its public methods only. */
export function runControl(breaker: CircuitBreaker, action: ControlAction): void {
  switch (action) {
    case "open":
      breaker.open();
      return;
    case "close":
      breaker.close();
      return;
    case "reset":
      breaker.reset();
      return;
    case "force-open":
      breaker.forceOpen();
      return;
    case "disable":
      breaker.disable();
      return;
    case "enable":
      breaker.enable();
      return;
  }
}
