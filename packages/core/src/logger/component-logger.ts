import type { RedactOptions } from '../redact/redact.js';
import { defaultLogger } from './default-logger.js';
import type { Logger } from './logger.js';
import { redactingLogger } from './redacting-logger.js';

/** What an app hands the transport and the executor it runs on (`Transport.attach`, `Executor.attach`). */
export interface AttachContext {
  /** The app's logger (it redacts secrets itself). */
  readonly logger: Logger;
}

/**
 * The logger of a component an app runs on (a connector, the worker pool):
 * its own `logger` option when given, else the logger of the first app it is
 * attached to, else `defaultLogger()` (for use without an app). Lines carry
 * `{ component }` and go through `redact` with the component's `secrets`.
 * Read `logger` when a part is created (on connect, subscribe); `createApp`
 * attaches before anything connects.
 */
export class ComponentLogger {
  #logger: Logger;
  #attached: boolean;

  constructor(
    private readonly component: string,
    own: Logger | undefined,
    private readonly secrets: RedactOptions = {},
  ) {
    this.#attached = own !== undefined;
    this.#logger = this.wrap(own ?? defaultLogger());
  }

  get logger(): Logger {
    return this.#logger;
  }

  /** Take the app's logger, unless the component has its own or an app attached first. */
  attach(context: AttachContext): void {
    if (this.#attached || context?.logger === undefined) return;
    this.#attached = true;
    this.#logger = this.wrap(context.logger);
  }

  private wrap(base: Logger): Logger {
    return redactingLogger(base.child({ component: this.component }), this.secrets);
  }
}
