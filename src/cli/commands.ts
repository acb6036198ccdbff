import { CONTROL_ACTIONS, type ControlAction } from "../dashboard/controls.js";

/** The operator actions, as the CLI names them: the dashboard's control actions. */
export const OPERATOR_ACTIONS = CONTROL_ACTIONS;

/** One of {@link OPERATOR_ACTIONS}. */
export type OperatorAction = ControlAction;

/** Every command the CLI knows. */
export const COMMAND_NAMES = ["status", ...OPERATOR_ACTIONS, "dashboard"] as const;

/** One of {@link COMMAND_NAMES}. */
export type CommandName = (typeof COMMAND_NAMES)[number];

/** Where the fleet's breakers live: a Redis URL and the key prefix. */
export interface FleetAddress {
  /** A `redis:` or `rediss:` URL. */
  readonly redis: string;
  /** The storages' `prefix` option. */
  readonly prefix: string;
}

/** A command line, checked. */
export type ParsedCommand =
  | { readonly kind: "help"; readonly command: CommandName | undefined }
  | (FleetAddress & {
      readonly kind: "status";
      readonly name: string | undefined;
      readonly json: boolean;
    })
  | (FleetAddress & {
      readonly kind: "operate";
      readonly action: OperatorAction;
      readonly name: string;
    })
  | (FleetAddress & {
      readonly kind: "dashboard";
      readonly port: number;
      readonly host: string;
      readonly token: string | undefined;
    });

/** Whether `value` names a command. */
export function isCommandName(value: string): value is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(value);
}
