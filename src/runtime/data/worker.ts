// Worker-thread entry: one SampleProcessor per thread, one job at a time (the pool never sends a second
// job before the first is answered).

import { parentPort, workerData } from "node:worker_threads";
import { SampleProcessor, type ProcessJob, type ProcessorInit } from "./processor.js";

const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");
const processor = new SampleProcessor(workerData as ProcessorInit);

port.on("message", (message: { id: number; job: ProcessJob }) => {
  processor.process(message.job).then(
    (results) => port.postMessage({ id: message.id, results }),
    (error: unknown) => {
      const failure = error instanceof Error ? { message: error.message, stack: error.stack } : { message: String(error) };
      port.postMessage({ id: message.id, error: failure });
    },
  );
});
