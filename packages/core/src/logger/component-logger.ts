import type { RedactOptions } from '../redact/redact.js';
import { defaultLogger } from './default-logger.js';
import { checkLogger, type Logger } from './logger.js';
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
  #base: Logger;
  #logger: Logger;
  #attached: boolean;

  /** `owner` names the factory in the `ConfigError` of a bad `own` logger (`kafkaTransport`). */
  constructor(
    owner: string,
    private readonly component: string,
    own: Logger | undefined,
    private readonly secrets: RedactOptions = {},
  ) {
    if (own !== undefined) checkLogger(owner, own);
    this.#attached = own !== undefined;
    this.#base = redactingLogger(own ?? defaultLogger(), secrets);
    this.#logger = this.#base.child({ component });
  }

  /** The component's lines: `{ component }` on each. */
  get logger(): Logger {
    return this.#logger;
  }

  /** The same logger without the `component` binding, for lines that belong to the app (a worker handler's). */
  get base(): Logger {
    return this.#base;
  }

  /** Take the app's logger, unless the component has its own or an app attached first. */
  attach(context: AttachContext): void {
    if (this.#attached || context?.logger === undefined) return;
    this.#attached = true;
    this.#base = redactingLogger(context.logger, this.secrets);
    this.#logger = this.#base.child({ component: this.component });
  }
}
