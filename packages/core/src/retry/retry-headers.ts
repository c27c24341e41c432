/**
 * Headers the runtime puts on the copies it makes of a record (delayed
 * retries, redrives). Reserved: handlers should not set them.
 */
export const RETRY_HEADERS = {
  /** The attempt the copy will be (1-based). */
  attempt: 'partita-attempt',
  /**
   * Only the consumer group named here handles the copy; every other group
   * settles it unhandled. Set on delayed-retry copies and redrives, so a
   * retry reaches only the group that failed it.
   */
  targetGroup: 'partita-target-group',
} as const;
