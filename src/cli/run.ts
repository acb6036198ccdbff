import { parseArguments } from "./arguments.js";
import { CliError, EXIT, oneLine } from "./cli-error.js";
import type { CliContext } from "./context.js";
import { runDashboard } from "./dashboard-command.js";
import { helpText } from "./help.js";
import { runOperator } from "./operator-command.js";
import { runStatus } from "./status-command.js";

/**
 * Runs one `aiobreaker` command line (the words after the program's name) and resolves its exit
 * code; never rejects. Failures are one line on `context.stderr`, never a stack.
 */
export async function runCli(words: readonly string[], context: CliContext): Promise<number> {
  try {
    const command = parseArguments(words, context.env);
    switch (command.kind) {
      case "help":
        context.stdout.write(helpText(command.command));
        break;
      case "status":
        await runStatus(command, context);
        break;
      case "operate":
        await runOperator(command, context);
        break;
      case "dashboard":
        await runDashboard(command, context);
        break;
    }
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CliError) {
      context.stderr.write(`aiobreaker: ${error.message}\n`);
      return error.exitCode;
    }
    context.stderr.write(`aiobreaker: unexpected error: ${oneLine(error)}\n`);
    return EXIT.FAILED;
  }
}
