import type { HealthReport } from '@partita/core';
import type { BrokerStats, GroupStats } from './broker-types.js';
import { posKey, type MemoryBroker } from './memory-broker.js';

function pct(used: number, max: number): string {
  return `${Math.round((used / max) * 100)}%`;
}

/** Counters, depths, lag per group, limits. */
export function brokerStats(b: MemoryBroker): BrokerStats {
  const now = b.options.clock.now();
  const topics = [...b.topicMap.values()].map((t) => {
    const dt = (now - t.lastStatsAt) / 1000;
    const rate = dt > 0 ? (t.published - t.lastPublished) / dt : 0;
    t.lastPublished = t.published;
    t.lastStatsAt = now;
    return {
      name: t.name,
      bytes: t.usage.bytes,
      messages: t.usage.messages,
      published: t.published,
      publishRate: rate,
      expired: t.expired,
      deadLettered: t.deadLettered,
      partitions: t.partitions.map((p) => ({
        partition: p.index,
        startOffset: p.base,
        endOffset: p.end,
        depth: p.end - p.base,
        ready: p.readyCount,
        delayed: p.delayedCount,
        bytes: p.bytes,
      })),
    };
  });
  const groups: GroupStats[] = [];
  for (const [group, topic, table] of b.coordinator.entries()) {
    const t = b.topicMap.get(topic);
    if (!t) continue;
    groups.push({
      group,
      topic,
      members: b.coordinator.memberCount(group, topic),
      partitions: t.partitions.map((p) => {
        const c = table[p.index]?.offset;
        const pos = b.positions.get(posKey(group, topic, p.index)) ?? c ?? p.base;
        return {
          partition: p.index,
          committed: c,
          lag: p.end - (c ?? p.base),
          inFlight: Math.max(0, pos - (c ?? p.base)),
          owner: b.coordinator.owner(group, topic, p.index),
        };
      }),
    });
  }
  return {
    bytes: b.usage.bytes,
    messages: b.usage.messages,
    limits: { maxBytes: b.options.maxBytes, maxMessages: b.options.maxMessages },
    published: b.published,
    expired: topics.reduce((a, t) => a + t.expired, 0),
    topics,
    groups,
    deadLetters: b.deadLetterStore.stats(),
    ...(b.durable ? { durable: b.durable.health().details } : {}),
  };
}

/** `down` when closed or storage failed; `degraded` when a limit is nearly used; else `ok`. */
export function brokerHealth(b: MemoryBroker): HealthReport {
  if (b.isClosed) return { status: 'down', reasons: ['broker closed'] };
  const down: string[] = [];
  const degraded: string[] = [];
  const o = b.options;
  const frac = (used: number, max: number): number => (Number.isFinite(max) ? used / max : 0);
  if (frac(b.usage.bytes, o.maxBytes) >= o.degradedAt)
    degraded.push(`broker bytes at ${pct(b.usage.bytes, o.maxBytes)} of maxBytes`);
  if (frac(b.usage.messages, o.maxMessages) >= o.degradedAt)
    degraded.push(`broker records at ${pct(b.usage.messages, o.maxMessages)} of maxMessages`);
  for (const t of b.topicMap.values()) {
    if (frac(t.usage.bytes, t.options.maxBytes) >= o.degradedAt)
      degraded.push(`topic "${t.name}" bytes at ${pct(t.usage.bytes, t.options.maxBytes)} of maxBytes`);
    if (frac(t.usage.messages, t.options.maxMessages) >= o.degradedAt)
      degraded.push(`topic "${t.name}" records at ${pct(t.usage.messages, t.options.maxMessages)} of maxMessages`);
  }
  const d = b.durable?.health();
  if (d) {
    down.push(...d.down);
    degraded.push(...d.degraded);
  }
  const details = {
    bytes: b.usage.bytes,
    messages: b.usage.messages,
    topics: b.topicMap.size,
    ...(d ? { durable: d.details } : {}),
  };
  if (down.length) return { status: 'down', reasons: [...down, ...degraded], details };
  return { status: degraded.length ? 'degraded' : 'ok', reasons: degraded, details };
}
