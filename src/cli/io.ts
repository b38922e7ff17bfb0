/** Output helpers shared by commands: stdout that survives a closed pipe, and colour only on a TTY. */

let pipeClosed = false;
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  // `seerc … | head` closes the pipe early; that is not an error of ours. Output stops, the work
  // goes on (a training run keeps writing its run directory and finishes normally).
  if (err.code === "EPIPE") {
    pipeClosed = true;
    return;
  }
  throw err;
});

export function out(text: string): void {
  if (!pipeClosed) process.stdout.write(text.endsWith("\n") ? text : text + "\n");
}

export function err(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : text + "\n");
}

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined) return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY);
}
