import type { App } from '@partita/core';

/** Resolves once `app` was assigned `count` lanes (a group join can take seconds on a broker); rejects after `timeoutMs`. */
export function waitForLanes(app: App, count: number, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let assigned = 0;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`only ${assigned} of ${count} lanes assigned after ${timeoutMs} ms`));
    }, timeoutMs);
    const off = app.on('lane.assigned', () => {
      if (++assigned < count) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
