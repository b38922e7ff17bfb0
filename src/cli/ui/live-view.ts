import { render, type Instance } from "ink";
import type { ReactElement } from "react";

export interface LiveView<E> {
  handle(event: E): void;
  close(): Promise<void>;
}

export interface LiveViewOptions<E> {
  /** The element to draw; `redraw` asks for a (throttled) redraw, e.g. after a key. */
  element: (redraw: () => void) => ReactElement;
  /** Folds an event into the view's model. */
  apply: (event: E) => void;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Redraws per second at most (events can arrive far faster than a terminal should repaint). */
  maxFps?: number;
}

/**
 * An Ink view fed by events: redrawn at most `maxFps` times a second, and once a second without
 * events so clocks (elapsed, ETA) move; `close` draws the last frame and unmounts. Shared by the run
 * dashboard and the sweep table. `instance` is for callers that must unmount early (an abort).
 */
export function mountLiveView<E>(options: LiveViewOptions<E>): LiveView<E> & { instance: Instance } {
  const minInterval = 1000 / (options.maxFps ?? 10);
  let lastDraw = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const redraw = () => {
    if (timer !== null || closed) return;
    timer = setTimeout(() => {
      timer = null;
      if (closed) return;
      lastDraw = Date.now();
      instance.rerender(options.element(redraw));
    }, Math.max(0, lastDraw + minInterval - Date.now()));
  };
  const instance: Instance = render(options.element(redraw), {
    stdout: options.stdout ?? process.stdout,
    stdin: options.stdin ?? process.stdin,
    exitOnCtrlC: false,
    maxFps: options.maxFps ?? 10,
  });
  const clock = setInterval(redraw, 1000);
  clock.unref();
  return {
    instance,
    handle(event) {
      options.apply(event);
      redraw();
    },
    async close() {
      if (closed) return;
      clearInterval(clock);
      if (timer !== null) clearTimeout(timer);
      instance.rerender(options.element(redraw));
      closed = true;
      instance.unmount();
      await instance.waitUntilExit();
    },
  };
}
