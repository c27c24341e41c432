import type {
  HealthReport,
  OutboundRecord,
  Subscription,
  SubscriptionSink,
  SubscriptionSpec,
  Transport,
  TransportCapabilities,
} from '../transport/transport.js';
import type { AttachContext } from '../logger/component-logger.js';
import type { Instrumentation } from './instrumentation.js';

type Send = (records: readonly OutboundRecord[]) => Promise<void>;

/** A transport whose `publish` runs through the instrumentations' publish hooks (the first outermost). */
export class InstrumentedTransport implements Transport {
  readonly name: string;
  readonly capabilities: TransportCapabilities;
  private readonly send: Send;

  constructor(
    private readonly inner: Transport,
    instrumentation: readonly Instrumentation[],
  ) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
    let send: Send = (records) => inner.publish(records);
    for (const i of [...instrumentation].reverse()) {
      if (typeof i.publish !== 'function') continue;
      const next = send;
      send = (records) => i.publish!(records, next, inner.name);
    }
    this.send = send;
  }

  attach(context: AttachContext): void {
    this.inner.attach?.(context);
  }
  connect(): Promise<void> {
    return this.inner.connect();
  }
  publish(records: readonly OutboundRecord[]): Promise<void> {
    return this.send(records);
  }
  subscribe(spec: SubscriptionSpec, sink: SubscriptionSink): Promise<Subscription> {
    return this.inner.subscribe(spec, sink);
  }
  health(): Promise<HealthReport> {
    return this.inner.health();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
