import type { HandleFn, HandlerContext } from '../handler/handler.js';
import type { LaneAttemptHook } from '../instrumentation/lane-attempt-hook.js';
import type { Message } from '../message/message.js';
import type { Entry } from './entry.js';
import { HandlerCtx, InboundMessage } from './inbound-message.js';

/**
 * Call the handler for the attempt of `entry` that just began and return
 * what it returned (throws what it throws). The message is an object of its
 * own (it keeps its value; the entry drops it when settled); the first
 * attempt's context is the entry itself, a later attempt's has its own. With an attempt
 * hook the attempt's scope begins here (`entry.scope`, ended by the lane with
 * the outcome it takes) and its `run`, if any, wraps the call.
 */
export function invokeHandler(entry: Entry, handle: HandleFn, hook: LaneAttemptHook | undefined): unknown {
  const message: Message = new InboundMessage(entry);
  let attemptCtx: HandlerContext = entry;
  if (entry.gen !== 1) {
    const later = new HandlerCtx(entry);
    entry.runsLaterAttemptIn(later);
    attemptCtx = later;
  }
  if (hook === undefined) return handle(message, attemptCtx);
  const scope = (entry.scope = hook.begin(entry.rec, entry.attemptNo, false));
  return scope?.run === undefined ? handle(message, attemptCtx) : scope.run(() => handle(message, attemptCtx));
}

/** A handler's result that is a promise (or promise-like): the attempt ends when it settles. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}
