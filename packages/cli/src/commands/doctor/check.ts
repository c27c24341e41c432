/** One finding of `partita doctor`. */
export interface Check {
  readonly name: string;
  readonly status: 'ok' | 'info' | 'warn' | 'fail';
  readonly detail: string;
  /** What to do about it (for warn and fail). */
  readonly fix?: string;
}
