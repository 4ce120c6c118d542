"""The Redis backend's atomic steps, as Lua scripts (each runs alone on the server: read, check and write as one).

Keys of one room: KEYS[1] the room hash, KEYS[2] and KEYS[3] round 1's and round 2's votes (voter → value),
KEYS[4] the rate hash (voter → comma-separated times in ms of their recent votes), KEYS[5] the sorted set of
open rooms (code → expiry in ms). Times come from the server's clock (TIME), the same for every replica.
Every script that writes refreshes the idle expiry of all five.
"""

from __future__ import annotations

_PRELUDE = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function touch(code, idle, now)
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], idle) end
  redis.call('ZADD', KEYS[5], now + idle, code)
  redis.call('PEXPIRE', KEYS[5], idle)
end
"""

# ARGV: code, idle ms, max rooms, then the room's fields as name, value pairs.
CREATE = (
    _PRELUDE
    + """
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
if redis.call('EXISTS', KEYS[1]) == 1 then return {'taken', 0} end
if redis.call('ZCARD', KEYS[5]) >= tonumber(ARGV[3]) then return {'full', 0} end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
touch(ARGV[1], tonumber(ARGV[2]), now)
return {'ok', 1}
"""
)

# ARGV: code, idle ms, expected asked, phase, round, '1' to empty the votes, then the fields to write.
UPDATE = (
    _PRELUDE
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone', 0} end
local cur = redis.call('HMGET', KEYS[1], 'asked', 'phase', 'round')
if cur[1] ~= ARGV[3] or cur[2] ~= ARGV[4] or cur[3] ~= ARGV[5] then return {'moved', 0} end
if ARGV[6] == '1' then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
touch(ARGV[1], tonumber(ARGV[2]), now_ms())
return {'ok', version}
"""
)

# ARGV: code, idle ms, voter, asked, round, value, max voters, rate votes, rate window ms.
VOTE = (
    _PRELUDE
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone', 0} end
local cur = redis.call('HMGET', KEYS[1], 'asked', 'phase', 'round')
if cur[2] ~= 'voting' or cur[1] ~= ARGV[4] or cur[3] ~= ARGV[5] then return {'moved', 0} end
local now, window, voter = now_ms(), tonumber(ARGV[9]), ARGV[3]
local kept = {}
local before = redis.call('HGET', KEYS[4], voter)
if before then
  for t in string.gmatch(before, '[^,]+') do
    if tonumber(t) > now - window then table.insert(kept, t) end
  end
end
if #kept >= tonumber(ARGV[8]) then return {'rate', tonumber(kept[1]) + window - now} end
local ballot = KEYS[1 + tonumber(ARGV[5])]
if redis.call('HEXISTS', ballot, voter) == 0 and redis.call('HLEN', ballot) >= tonumber(ARGV[7]) then
  return {'full', 0}
end
redis.call('HSET', ballot, voter, ARGV[6])
table.insert(kept, tostring(now))
redis.call('HSET', KEYS[4], voter, table.concat(kept, ','))
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
touch(ARGV[1], tonumber(ARGV[2]), now)
return {'ok', version}
"""
)

# ARGV: voter ('' for none). The votes of a round come back only where state.visible allows them (the same
# rule: an earlier round, or this round once shown or revealed); otherwise only their count.
LOAD = """
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {} end
local f = {}
for i = 1, #h, 2 do f[h[i]] = h[i + 1] end
local round = tonumber(f['round'])
local open = f['phase'] == 'shown' or f['phase'] == 'revealed'
local mine = false
if ARGV[1] ~= '' then mine = redis.call('HGET', KEYS[1 + round], ARGV[1]) end
local b1, b2 = {}, {}
if round > 1 or open then b1 = redis.call('HVALS', KEYS[2]) end
if round == 2 and open then b2 = redis.call('HVALS', KEYS[3]) end
return {h, redis.call('HLEN', KEYS[2]), redis.call('HLEN', KEYS[3]), mine, b1, b2}
"""
