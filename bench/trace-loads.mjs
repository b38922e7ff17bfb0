// Records which modules the process it is imported into resolves (node --import), so the check
// benchmark can show that `seerc check` never loads TensorFlow.js.
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
import { writeFileSync } from "node:fs";

const { port1, port2 } = new MessageChannel();
const loaded = new Set();
port1.on("message", (url) => loaded.add(url));
port1.unref();
register("./trace-loads-hooks.mjs", { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
process.on("exit", () => {
  const tensorflow = [...loaded].filter((u) => u.includes("@tensorflow")).length;
  if (process.env.SEERC_TRACE_OUT) writeFileSync(process.env.SEERC_TRACE_OUT, JSON.stringify({ modules: loaded.size, tensorflow }));
});
