import { hasAdmin, redriveDeadLetters, type AdminTransport, type Transport } from '@partita/core';
import { CliError, EXIT } from '../cli/cli-error.js';
import type { Backend, RecordToPublish, RedriveRequest } from './backend.js';

/** Records per `publish` call. */
const PUBLISH_BATCH = 500;

/** A {@link Backend} on a connector: `transport.admin`, `transport.publish`, core's `redriveDeadLetters`. */
export function transportBackend(transport: Transport): Backend {
  if (!hasAdmin(transport))
    throw new CliError(
      `the ${transport.name} connector has no admin side (transport.admin); upgrade @partita/${transport.name}, or reach a running app with --url`,
      EXIT.failure,
    );
  const t: Transport & AdminTransport = transport;
  return {
    describe: transport.name,
    topics: () => t.admin.topics(),
    lag: (group) => t.admin.lag(group),
    read: (topic, options) => t.admin.read(topic, options),
    async publish(topic: string, records: readonly RecordToPublish[]) {
      for (let i = 0; i < records.length; i += PUBLISH_BATCH)
        await t.publish(
          records.slice(i, i + PUBLISH_BATCH).map((r) => ({
            topic,
            value: r.value,
            headers: r.headers,
            ...(r.key !== undefined ? { key: r.key } : {}),
            ...(r.partition !== undefined ? { partition: r.partition } : {}),
          })),
        );
      return records.length;
    },
    redrive: (request: RedriveRequest) =>
      redriveDeadLetters(t, {
        topic: request.topic,
        dryRun: request.dryRun,
        ...(request.ids !== undefined ? { ids: request.ids } : {}),
        ...(request.filter !== undefined ? { filter: request.filter } : {}),
        ...(request.ratePerSec !== undefined ? { ratePerSec: request.ratePerSec } : {}),
        ...(request.onProgress !== undefined ? { onProgress: request.onProgress } : {}),
      }),
    purge: (topic, positions) => t.admin.purge(topic, positions),
    app() {
      throw new CliError(
        'inspect shows the lanes of a running app: pass its admin endpoint with --url (e.g. --url http://127.0.0.1:9464)',
        EXIT.usage,
      );
    },
    close: () => t.close(),
  };
}
