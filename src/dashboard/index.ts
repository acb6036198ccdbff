/**
 * `aiobreaker/dashboard`: a live dashboard of a monitor's breakers, served by a plain Node request
 * handler (Node only: it uses `node:http` types and `node:crypto`).
 *
 * @packageDocumentation
 */
export { createDashboard, type DashboardHandler } from "./handler.js";
export type { DashboardOptions } from "./options.js";
export type { DashboardBreaker, DashboardWindow } from "./breaker-view.js";
export { CONTROL_ACTIONS, type ControlAction } from "./controls.js";
