import { main } from "./main.js";

/** Process entry: turns the CLI's exit code into the process's, and any internal error into one readable line. */
process.on("unhandledRejection", (reason) => internalError(reason));
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (reason) => internalError(reason),
);

function internalError(reason: unknown): void {
  const message = reason instanceof Error ? reason.message : String(reason);
  process.stderr.write(`seerc: internal error: ${message}\n`);
  if (process.env.SEERC_DEBUG && reason instanceof Error && reason.stack) process.stderr.write(reason.stack + "\n");
  else process.stderr.write("(set SEERC_DEBUG=1 for details; please report this with the input that caused it)\n");
  process.exit(70);
}
