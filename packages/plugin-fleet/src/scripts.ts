// The fleet's decisions, as Lua scripts Redis runs atomically. Every key a script touches is
// passed in KEYS (never built inside the script), so the scripts work with ACLs and on Redis
// Cluster, where all keys of one fleet share the hash tag `{<fleet>}` (see keys.ts).
//
// Times come from Redis TIME, never from a client's clock, so leases and deadlines mean the
// same thing to every member. Replies are JSON strings: cjson decodes JSON null as cjson.null
// (not nil) and encodes an empty table as {}, so the client normalises both (see store.ts).

/** KEYS shared by every script, in this order (see `baseKeys` in keys.ts). */
const PRELUDE = `
local K_META, K_CURRENT, K_OPEN, K_MEMBERS, K_INFO, K_EVENTS, K_BRANCHES = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function decode(s)
  if not s then return nil end
  local v = cjson.decode(s)
  if v == cjson.null then return nil end
  return v
end

-- Appends one event to the capped stream. The sequence number 'n' lets a reader see a gap
-- (entries trimmed away before it read them) and re-read the state instead of trusting the rest.
local function emit(maxlen, kind, data)
  local n = redis.call('HINCRBY', K_META, 'evseq', 1)
  data.n = n
  data.kind = kind
  data.epoch = redis.call('HGET', K_META, 'epoch')
  redis.call('XADD', K_EVENTS, 'MAXLEN', maxlen, '*', 'n', n, 'kind', kind, 'data', cjson.encode(data))
  return n
end

-- A fleet without meta is new, or Redis lost its data: start a new epoch. 'seq' is the last
-- version number handed out; it only moves up, to at least what a member or proposer reports
-- having seen, so a version number is never reused after a data loss.
local function ensure_epoch(floor, now)
  local epoch = redis.call('HGET', K_META, 'epoch')
  if not epoch then
    local t = redis.call('TIME')
    epoch = t[1] .. '.' .. t[2]
    redis.call('HSET', K_META, 'epoch', epoch, 'seq', 0, 'createdAt', now)
  end
  local seq = tonumber(redis.call('HGET', K_META, 'seq') or '0')
  if floor and floor > seq then
    redis.call('HSET', K_META, 'seq', floor)
  end
  return epoch
end

-- Leases are scores (expiry, ms of Redis time) in one sorted set; an expired member is removed
-- and announced, so every later decision sees the same membership.
local function expire_members(maxlen, now)
  local dead = redis.call('ZRANGEBYSCORE', K_MEMBERS, '-inf', now)
  for _, id in ipairs(dead) do
    redis.call('ZREM', K_MEMBERS, id)
    redis.call('HDEL', K_INFO, id)
    emit(maxlen, 'leave', { member = id, why = 'lease expired' })
  end
  return dead
end

local function is_live(id, now)
  local score = redis.call('ZSCORE', K_MEMBERS, id)
  return score ~= false and score ~= nil and tonumber(score) > now
end

local function labels_match(target, labels)
  for k, v in pairs(target or {}) do
    if labels == nil or labels[k] ~= v then return false end
  end
  return true
end
`

/**
 * Decision rule shared by vote and settle (KEYS 8-10: proposal, participants, votes): any NACK
 * aborts; commit once every participant still holding a lease ACKed (the expired ones are
 * excluded and named); at the deadline, a live participant's missing vote aborts.
 */
const DECIDE = `
local K_PROPOSAL, K_PARTICIPANTS, K_VOTES = KEYS[8], KEYS[9], KEYS[10]

local function close_open(id)
  if redis.call('GET', K_OPEN) == id then redis.call('DEL', K_OPEN) end
end

local function decide(maxlen, now)
  local p = redis.call('HGETALL', K_PROPOSAL)
  if #p == 0 then return { state = 'unknown' } end
  local prop = {}
  for i = 1, #p, 2 do prop[p[i]] = p[i + 1] end
  if prop.status ~= 'open' then
    return { state = prop.status, id = prop.id, version = tonumber(prop.version), excluded = decode(prop.excluded), abort = decode(prop.abort) }
  end
  local participants = redis.call('SMEMBERS', K_PARTICIPANTS)
  local nacks, pending, excluded = {}, {}, {}
  for _, m in ipairs(participants) do
    local vote = decode(redis.call('HGET', K_VOTES, m))
    if vote then
      if not vote.ack then table.insert(nacks, { member = m, problems = vote.problems, reason = vote.reason }) end
    elseif is_live(m, now) then
      table.insert(pending, m)
    else
      table.insert(excluded, m)
    end
  end
  local deadline = tonumber(prop.deadline)
  local abort = nil
  if #nacks > 0 then
    abort = { code = 'HR_FLEET_NACK', nacks = nacks }
  elseif #pending > 0 then
    if now < deadline then return { state = 'open', id = prop.id, pending = pending } end
    abort = { code = 'HR_FLEET_VOTE_TIMEOUT', silent = pending }
  end
  if abort then
    redis.call('HSET', K_PROPOSAL, 'status', 'aborted', 'abort', cjson.encode(abort), 'decidedAt', now)
    close_open(prop.id)
    emit(maxlen, 'abort', { id = prop.id, version = tonumber(prop.version), branch = prop.branch, abort = abort })
    return { state = 'aborted', id = prop.id, version = tonumber(prop.version), abort = abort }
  end
  local version = tonumber(prop.version)
  local pointer = { version = version, manifest = prop.manifest, proposal = prop.id, committedAt = now, excluded = excluded }
  if prop.branch ~= '' then
    pointer.name = prop.branch
    pointer.target = decode(prop.target)
    redis.call('HSET', K_BRANCHES, prop.branch, cjson.encode(pointer))
  else
    redis.call('SET', K_CURRENT, cjson.encode(pointer))
    if prop.promotes ~= '' then
      redis.call('HDEL', K_BRANCHES, prop.promotes)
    end
  end
  local seq = tonumber(redis.call('HGET', K_META, 'seq') or '0')
  if version > seq then redis.call('HSET', K_META, 'seq', version) end
  redis.call('HSET', K_PROPOSAL, 'status', 'committed', 'excluded', cjson.encode(excluded), 'decidedAt', now)
  close_open(prop.id)
  emit(maxlen, 'commit', { id = prop.id, version = version, manifest = prop.manifest, branch = prop.branch, promotes = prop.promotes, excluded = excluded, participants = participants })
  return { state = 'committed', id = prop.id, version = version, excluded = excluded }
end
`

/**
 * Join, renew or leave. ARGV: member id, lease ms, info JSON, the member's version (a floor for
 * the version counter), stream cap, mode ('beat' | 'leave'). Expires other members on the way.
 */
export const HEARTBEAT = `${PRELUDE}
local id, lease, info, floor, maxlen, mode = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local now = now_ms()
local epoch = ensure_epoch(floor, now)
expire_members(maxlen, now)
if mode == 'leave' then
  if redis.call('ZREM', K_MEMBERS, id) == 1 then
    redis.call('HDEL', K_INFO, id)
    emit(maxlen, 'leave', { member = id, why = 'left' })
  end
  return cjson.encode({ epoch = epoch, now = now })
end
local joined = redis.call('ZADD', K_MEMBERS, now + lease, id) == 1
redis.call('HSET', K_INFO, id, info)
if joined then emit(maxlen, 'join', { member = id, info = decode(info) }) end
return cjson.encode({ epoch = epoch, now = now, joined = joined, expires = now + lease, open = redis.call('GET', K_OPEN) or '' })
`

/**
 * Opens a proposal. KEYS 8-10 are the new proposal's keys, 11 the manifest blob, 12.. every
 * file blob the manifest names. ARGV: id, base version (-1: no check), manifest hash, target
 * labels JSON, branch ('' for the main line), vote ms, proposer, version floor, stream cap,
 * promoted branch ('' unless this promotes one).
 * Replies { result = 'ok' | 'busy' | 'stale' | 'missing' | 'unknown-branch', ... }.
 */
export const PROPOSE = `${PRELUDE}${DECIDE}
local id, base, manifest, target, branch, voteMs, proposer, floor, maxlen, promotes =
  ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
local now = now_ms()
local epoch = ensure_epoch(floor, now)
expire_members(maxlen, now)
local open = redis.call('GET', K_OPEN)
if open then return cjson.encode({ result = 'busy', open = open }) end

local cur = decode(redis.call('GET', K_CURRENT))
local baseline = cur and cur.version or 0
local known = cur ~= nil
if branch ~= '' then
  local b = decode(redis.call('HGET', K_BRANCHES, branch))
  if b then baseline = b.version; known = true end
end
if promotes ~= '' and not redis.call('HEXISTS', K_BRANCHES, promotes) then
  return cjson.encode({ result = 'unknown-branch', branch = promotes })
end
-- A line with nothing committed (a new fleet, or a new epoch after Redis lost its data) has no
-- base to be stale against.
if base >= 0 and known and base ~= baseline then
  return cjson.encode({ result = 'stale', current = baseline })
end

local prefix = string.sub(K_META, 1, #K_META - #'meta')
if redis.call('EXISTS', KEYS[11]) == 0 or KEYS[11] ~= prefix .. 'blob:' .. manifest then
  return cjson.encode({ result = 'missing', hash = manifest, what = 'manifest' })
end
local declared = {}
for i = 12, #KEYS do declared[KEYS[i]] = true end
local m = decode(redis.call('GET', KEYS[11]))
for path, file in pairs(m.files or {}) do
  local key = prefix .. 'blob:' .. file.hash
  if not declared[key] or redis.call('EXISTS', key) == 0 then
    return cjson.encode({ result = 'missing', hash = file.hash, path = path })
  end
end

local t = decode(target) or {}
local participants = {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', K_MEMBERS, '(' .. now, '+inf')) do
  local info = decode(redis.call('HGET', K_INFO, member))
  if labels_match(t, info and info.labels) then
    table.insert(participants, member)
    redis.call('SADD', K_PARTICIPANTS, member)
  end
end
local version = tonumber(redis.call('HGET', K_META, 'seq')) + 1
local deadline = now + voteMs
redis.call('HSET', K_PROPOSAL, 'id', id, 'status', 'open', 'version', version, 'base', baseline, 'manifest', manifest,
  'target', target, 'branch', branch, 'promotes', promotes, 'proposer', proposer, 'deadline', deadline, 'createdAt', now, 'epoch', epoch)
redis.call('SET', K_OPEN, id)
emit(maxlen, 'propose', { id = id, version = version, base = baseline, manifest = manifest, target = t, branch = branch,
  promotes = promotes, deadline = deadline, participants = participants, proposer = proposer })
-- No participant: nobody to wait for, it commits at once (a late joiner validates it on load).
local decision = decide(maxlen, now)
return cjson.encode({ result = 'ok', id = id, version = version, deadline = deadline, participants = participants, epoch = epoch, decision = decision })
`

/**
 * One member's vote, then the decision if it is now known. ARGV: proposal id, member, '1' ACK
 * or '0' NACK, problems JSON, reason, stream cap. A vote after the decision or past the
 * deadline is refused as late; a second vote, or one from a member whose lease expired, is refused.
 */
export const VOTE = `${PRELUDE}${DECIDE}
local id, member, ack, problems, reason, maxlen = ARGV[1], ARGV[2], ARGV[3] == '1', ARGV[4], ARGV[5], tonumber(ARGV[6])
local now = now_ms()
ensure_epoch(0, now)
expire_members(maxlen, now)
local status = redis.call('HGET', K_PROPOSAL, 'status')
if not status then return cjson.encode({ result = 'unknown' }) end
if status ~= 'open' or now >= tonumber(redis.call('HGET', K_PROPOSAL, 'deadline')) then
  local decision = decide(maxlen, now)
  emit(maxlen, 'late-vote', { id = id, member = member, ack = ack })
  return cjson.encode({ result = 'late', decision = decision })
end
if redis.call('SISMEMBER', K_PARTICIPANTS, member) == 0 then
  return cjson.encode({ result = 'not-participant', decision = decide(maxlen, now) })
end
if not is_live(member, now) then
  return cjson.encode({ result = 'expired', decision = decide(maxlen, now) })
end
if redis.call('HEXISTS', K_VOTES, member) == 1 then
  return cjson.encode({ result = 'already', decision = decide(maxlen, now) })
end
if reason == '' then reason = nil end
redis.call('HSET', K_VOTES, member, cjson.encode({ ack = ack, problems = decode(problems), reason = reason, at = now }))
emit(maxlen, 'vote', { id = id, member = member, ack = ack, problems = decode(problems), reason = reason })
return cjson.encode({ result = 'ok', decision = decide(maxlen, now) })
`

/** Settles a proposal: anyone may call it, as often as they like. ARGV: proposal id, stream cap. */
export const SETTLE = `${PRELUDE}${DECIDE}
local maxlen = tonumber(ARGV[2])
local now = now_ms()
ensure_epoch(0, now)
expire_members(maxlen, now)
return cjson.encode(decide(maxlen, now))
`

/** Ends a gray branch; its members go back to the main line. ARGV: branch name, stream cap. */
export const END_BRANCH = `${PRELUDE}
local name, maxlen = ARGV[1], tonumber(ARGV[2])
local now = now_ms()
ensure_epoch(0, now)
local b = redis.call('HGET', K_BRANCHES, name)
if not b then return cjson.encode({ result = 'unknown-branch' }) end
redis.call('HDEL', K_BRANCHES, name)
emit(maxlen, 'branch-end', { branch = name, version = decode(b).version })
return cjson.encode({ result = 'ok', branch = decode(b) })
`

/**
 * One consistent snapshot of the fleet: epoch, the last event sequence and stream id (a reader
 * resumes after them), the committed pointer, branches, the open proposal id, and members with
 * their lease expiry. Writes only when the fleet is new (its epoch).
 */
export const SNAPSHOT = `${PRELUDE}
local now = now_ms()
local epoch = redis.call('HGET', K_META, 'epoch') or ''
local last = redis.call('XREVRANGE', K_EVENTS, '+', '-', 'COUNT', 1)
local members = {}
local leases = redis.call('ZRANGE', K_MEMBERS, 0, -1, 'WITHSCORES')
for i = 1, #leases, 2 do
  local info = decode(redis.call('HGET', K_INFO, leases[i]))
  table.insert(members, { id = leases[i], expires = tonumber(leases[i + 1]), live = tonumber(leases[i + 1]) > now, info = info })
end
local branches = {}
local b = redis.call('HGETALL', K_BRANCHES)
for i = 1, #b, 2 do table.insert(branches, decode(b[i + 1])) end
return cjson.encode({
  epoch = epoch, now = now, evseq = tonumber(redis.call('HGET', K_META, 'evseq') or '0'), seq = tonumber(redis.call('HGET', K_META, 'seq') or '0'),
  lastId = (last[1] and last[1][1]) or '0-0', current = decode(redis.call('GET', K_CURRENT)), branches = branches,
  open = redis.call('GET', K_OPEN) or '', members = members,
})
`
