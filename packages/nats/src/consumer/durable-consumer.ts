import {
  AckPolicy,
  DeliverPolicy,
  ReplayPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { ConfigError, type SubscriptionSpec } from '@partita/core';
import { mapNatsError } from '../errors/map-nats-error.js';
import type { ResolvedNatsOptions } from '../options/nats-transport-options.js';
import { streamNameFor } from '../stream/stream-provisioner.js';

/**
 * Default `max_deliver`: unlimited. The runtime counts attempts and
 * dead-letters itself; a server limit would drop a record silently once
 * hand-backs (stop, revoke) and crashes used up its deliveries.
 */
const UNLIMITED = -1;

/** Consumer settings derived from a subscription. */
export interface DurableSettings {
  readonly durable: string;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
}

/** `ack_wait` for a handler timeout: the timeout plus a quarter of it (at least 1 s), unless set. */
export function ackWaitFor(spec: SubscriptionSpec, o: ResolvedNatsOptions): number {
  return o.ackWaitMs ?? spec.timeoutMs + Math.max(1000, Math.floor(spec.timeoutMs / 4));
}

/**
 * Durable name of a group on a stream: the group name alone when the stream is
 * the topic's own, `<group>_<topic>` when the stream is shared by several topics.
 * Characters NATS forbids become `_`, so two groups (`a.b`, `a_b`) or two
 * (group, topic) pairs can map to one name: {@link ensureDurable} refuses to
 * bind a group to a consumer made for another group or topic (`ConfigError`).
 */
export function durableNameFor(group: string, topic: string, stream: string, o: ResolvedNatsOptions): string {
  const g = group.replace(/[.*>/\\\s]/g, '_');
  return stream === streamNameFor(topic, o.streamPrefix) ? g : `${g}_${topic.replace(/[.*>/\\\s]/g, '_')}`;
}

/**
 * Create the group's durable pull consumer, or bind to it when it exists
 * (every instance of a group shares it). `ack_wait`, `max_deliver` and
 * `max_ack_pending` of an existing consumer are updated to this instance's
 * values; its filter subject must be the topic.
 */
export async function ensureDurable(
  jsm: JetStreamManager,
  stream: string,
  spec: SubscriptionSpec,
  o: ResolvedNatsOptions,
): Promise<DurableSettings> {
  const durable = durableNameFor(spec.group, spec.topic, stream, o);
  const ackWaitMs = ackWaitFor(spec, o);
  const maxDeliver = o.maxDeliver ?? UNLIMITED;
  const wanted: Partial<ConsumerConfig> = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ackWaitMs),
    max_deliver: maxDeliver,
    max_ack_pending: o.maxAckPending,
    deliver_policy: spec.startFrom === 'latest' ? DeliverPolicy.New : DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: spec.topic,
    description: descriptionFor(spec),
  };
  let info: ConsumerInfo | undefined = await existing(jsm, stream, durable);
  if (!info) {
    try {
      info = await jsm.consumers.add(stream, wanted);
    } catch (err) {
      info = await existing(jsm, stream, durable);
      if (!info) throw mapNatsError(err, `create consumer "${durable}" on stream "${stream}"`, spec.topic);
    }
  }
  if (
    info.config.filter_subject !== undefined &&
    info.config.filter_subject !== '' &&
    info.config.filter_subject !== spec.topic
  ) {
    throw new ConfigError(
      `NATS consumer "${durable}" on stream "${stream}" filters "${info.config.filter_subject}", not topic "${spec.topic}"; use another group name`,
    );
  }
  const owner = groupOf(info.config.description);
  if (owner !== undefined && owner !== spec.group) {
    throw new ConfigError(
      `NATS consumer "${durable}" on stream "${stream}" belongs to group ${JSON.stringify(owner)}, not ${JSON.stringify(spec.group)}: group names that differ only in ".", "_", "/", "\\" or spaces map to the same consumer name; rename one group`,
    );
  }
  const c = info.config;
  if (
    c.ack_wait !== wanted.ack_wait ||
    c.max_deliver !== maxDeliver ||
    c.max_ack_pending !== o.maxAckPending ||
    owner === undefined
  ) {
    // A consumer made before groups were recorded in its description is claimed by the first group that binds it.
    await jsm.consumers
      .update(stream, durable, {
        ack_wait: wanted.ack_wait!,
        max_deliver: maxDeliver,
        max_ack_pending: o.maxAckPending,
        description: wanted.description!,
      })
      .catch((err: unknown) => {
        throw mapNatsError(err, `update consumer "${durable}"`);
      });
  }
  return { durable, ackWaitMs, maxDeliver };
}

/** The consumer's description: it records the group, whose name the durable name may not keep. */
function descriptionFor(spec: SubscriptionSpec): string {
  return `partita group ${JSON.stringify(spec.group)} handler ${spec.handler}`;
}

/** The group recorded by {@link descriptionFor}, or undefined for a consumer made without it. */
export function groupOf(description: string | undefined): string | undefined {
  const m = /^partita group ("(?:[^"\\]|\\.)*")/.exec(description ?? '');
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as string;
  } catch {
    return undefined;
  }
}

async function existing(jsm: JetStreamManager, stream: string, durable: string): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (err) {
    if ((err as Error).name === 'ConsumerNotFoundError' || /consumer not found/i.test((err as Error).message))
      return undefined;
    throw mapNatsError(err, `consumer info "${durable}"`);
  }
}
