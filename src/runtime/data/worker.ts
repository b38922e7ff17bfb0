// Worker-thread entry: one SampleProcessor per thread. The pool sends jobs ahead; the processor works
// through them in the order sent (and decodes ahead across them), so they wait here rather than in the
// main thread.

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
