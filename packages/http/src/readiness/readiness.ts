import type { App } from '@partita/core';

/** The body of `GET /readyz`. */
export interface Readiness {
  readonly ready: boolean;
  /** Why the app is not ready (empty when ready). */
  readonly reasons: readonly string[];
  readonly state: string;
  readonly lanes: number;
}

/** Options of `readiness()`. */
export interface ReadinessOptions {
  /**
   * Ready only with at least one lane assigned. Set false for an app that
   * only publishes, or a replica expected to idle (more replicas than partitions).
   * @defaultValue true
   */
  readonly requireLanes?: boolean;
}

/**
 * Ready = started, not stopping (draining), transport not `down`, and (by
 * default) at least one lane assigned. `degraded` transports stay ready: a
 * probe that flaps on a slow broker would only add restarts.
 */
export async function readiness(app: App, options: ReadinessOptions = {}): Promise<Readiness> {
  const snapshot = app.inspect();
  const reasons: string[] = [];
  if (snapshot.state === 'stopping') reasons.push('draining: the app is stopping');
  else if (snapshot.state !== 'running') reasons.push(`not started: the app is ${snapshot.state}`);
  const live = snapshot.lanes.filter((l) => l.state !== 'stopped').length;
  if (reasons.length === 0) {
    const health = await app.health();
    if (health.status === 'down')
      reasons.push(
        ...(health.reasons.length > 0 ? health.reasons.map((r) => `transport down: ${r}`) : ['transport down']),
      );
    if ((options.requireLanes ?? true) && live === 0) reasons.push('no lanes assigned');
  }
  return { ready: reasons.length === 0, reasons, state: snapshot.state, lanes: live };
}
