/**
 * Lua scripts the connector runs, each atomic on the server. Every key a
 * script touches is passed in KEYS and shares one hash tag (see RedisKeys),
 * so one slot: the scripts run unchanged on Redis Cluster. Time is the
 * server's (`TIME`), so members' clocks never disagree.
 */

const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * Delay an entry: store its fields under a fresh id in the partition's delayed
 * set, due at now + delay, and (when an entry id is given) acknowledge the
 * original in the same step, so it is acked only once its delayed copy exists.
 * KEYS: stream, delayed, delayedData. ARGV: group, entryId ('' = none), delayMs, uid, field, value, ...
 * Returns the due time (server ms).
 */
export const DELAY_SCRIPT = `${NOW}
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[3], ARGV[4], cmsgpack.pack(fields))
local due = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], due, ARGV[4])
if ARGV[2] ~= '' then redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) end
return due`;

/**
 * Move due delayed entries back into the stream (new entries at its end).
 * KEYS: stream, delayed, delayedData. ARGV: limit.
 * Returns { moved, next due time or -1, now }.
 */
export const MOVE_DUE_SCRIPT = `${NOW}
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, uid in ipairs(due) do
  local d = redis.call('HGET', KEYS[3], uid)
  if d then redis.call('XADD', KEYS[1], '*', unpack(cmsgpack.unpack(d))) end
  redis.call('HDEL', KEYS[3], uid)
  redis.call('ZREM', KEYS[2], uid)
end
local nxt = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local nextDue = -1
if nxt[2] then nextDue = tonumber(nxt[2]) end
return { #due, nextDue, now }`;

/**
 * Append a dead letter and bound the dead-letter stream by count and age.
 * The source entry is acknowledged afterwards, by the runtime's `term`
 * (another slot: see the README's Dead letters).
 * KEYS: dlqStream. ARGV: maxLen, maxAgeMs, field, value, ...
 * Returns the new entry id.
 */
export const DEAD_LETTER_SCRIPT = `${NOW}
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
redis.call('XTRIM', KEYS[1], 'MINID', '~', tostring(now - tonumber(ARGV[2])))
return id`;

/**
 * Trim a partition stream that grew past maxLen down to the lowest entry some
 * group still needs (its oldest pending entry, or the entry after its last
 * delivered one): entries every group acknowledged go, nothing else does.
 * A stream no group reads is trimmed to maxLen.
 * KEYS: stream. ARGV: maxLen. Returns the number of entries removed.
 */
export const TRIM_SCRIPT = `
local len = redis.call('XLEN', KEYS[1])
if len <= tonumber(ARGV[1]) then return 0 end
local function split(id)
  local d = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, d - 1)), tonumber(string.sub(id, d + 1))
end
local function less(a, b)
  local am, as = split(a)
  local bm, bs = split(b)
  return am < bm or (am == bm and as < bs)
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[1]) end
local safe = nil
for _, g in ipairs(groups) do
  local name, pending, last
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'pending' then pending = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
  end
  local need = last
  if pending > 0 then need = redis.call('XPENDING', KEYS[1], name)[2] end
  if safe == nil or less(need, safe) then safe = need end
end
return redis.call('XTRIM', KEYS[1], 'MINID', '~', safe)`;

/**
 * A group member's heartbeat, first step (the group's slot): renew its
 * membership and drop expired members.
 * KEYS: members. ARGV: me, leaseMs. Returns the live member names, sorted
 * (by bytes: the order the fair split uses).
 */
export const MEMBERSHIP_SCRIPT = `${NOW}
local me, ttl = ARGV[1], tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, me)
redis.call('PEXPIRE', KEYS[1], ttl * 4)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
table.sort(members)
return members`;

/**
 * A group member's heartbeat, second step, one per partition (the
 * partition's slot): renew the lease when held, take it when free and the
 * fair split gives it to this member (`target`).
 * KEYS: lease. ARGV: me, leaseMs, target.
 * Returns 0 (not held), 1 (held: renewed or taken now) or 2 (held, but
 * another member's share now: to be released after the drain).
 */
export const LEASE_SCRIPT = `
local me, ttl, target = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local owner = redis.call('GET', KEYS[1])
if owner == me then
  redis.call('PEXPIRE', KEYS[1], ttl)
  if target ~= me then return 2 end
  return 1
end
if not owner and target == me then
  redis.call('SET', KEYS[1], me, 'PX', ttl)
  return 1
end
return 0`;

/**
 * The check of a fenced command (see FencedReader): when the lease does not
 * name this member, write the fence key, so the `EXEC` of the transaction
 * that watches it runs nothing. Sent with `EVAL`, never `EVALSHA`. (Out of
 * memory its `SET` fails, but Redis then refuses to queue any command after
 * `MULTI`, so the `EXEC` aborts anyway.)
 * KEYS: lease, fence, stream. ARGV: me, group, wantLast ('1': return the
 * group's last delivered id). Returns 0 (not ours), 1, or that id.
 */
export const FENCE_CHECK_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  redis.call('SET', KEYS[2], '1', 'PX', 1000)
  return 0
end
if ARGV[3] == '1' then
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[3])) do
    local name, last
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
    end
    if name == ARGV[2] then return last end
  end
end
return 1`;

/**
 * Give up a lease if still held, handing back first the entries the lane
 * left unhandled: each is claimed for this consumer with its delivery count
 * lowered by one (`XCLAIM … RETRYCOUNT n-1 JUSTID`), so the next owner's
 * replay does not count the hand-back as an attempt. Nothing happens when
 * the lease is not this member's (a new owner may hold those entries).
 * KEYS: lease, stream. ARGV: me, group, id, count, id, count, ...
 * Returns 1 when released.
 */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 3, #ARGV - 1, 2 do
  local retries = math.max(0, tonumber(ARGV[i + 1]) - 1)
  redis.call('XCLAIM', KEYS[2], ARGV[2], ARGV[1], 0, ARGV[i], 'RETRYCOUNT', retries, 'JUSTID')
end
return redis.call('DEL', KEYS[1])`;

/** Leave the group's member set. KEYS: members. ARGV: me. */
export const LEAVE_SCRIPT = `return redis.call('ZREM', KEYS[1], ARGV[1])`;
