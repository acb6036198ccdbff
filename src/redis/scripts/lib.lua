-- lib.lua: helpers every script starts with (the loader prepends this file to each one).
--
-- Every script takes the same KEYS, all in one hash slot (one hash tag per breaker):
--   KEYS[1] the breaker's state hash: g (fleet generation), cid (id of the change that made
--           it), st (state), md (mode), fc (consecutive failures), sc (half-open successes),
--           oa (openedAt, server ms, "" when none), od (openDuration ms, "" when none),
--           at (openAttempts), mt (server ms of the last manual change, 0 when none),
--           v (version: one more on every published change, so answers can be ordered)
--   KEYS[2] the trial leases: a sorted set, member = lease id, score = expiry (server ms)
--   KEYS[3] the shared time window: a hash, field "w" = bucket width (ms), fields
--           "<k>:c", "<k>:f", "<k>:s" = calls, failures, slow calls of bucket k
-- and ARGV[1] is always the channel every change is published on.
--
-- A state travels (reply and message) as one string of comma-separated fields:
--   v,g,cid,st,md,fc,sc,oa,od,at,leases,mt,now
-- where leases is the number of live trial leases and now the server time (ms) of the answer.

local function now_ms()
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function load_state(key)
  local v = redis.call("HMGET", key, "g", "cid", "st", "md", "fc", "sc", "oa", "od", "at", "mt", "v")
  if not v[1] then
    return nil
  end
  return {
    g = tonumber(v[1]),
    cid = v[2] or "",
    st = v[3] or "closed",
    md = v[4] or "enabled",
    fc = tonumber(v[5]) or 0,
    sc = tonumber(v[6]) or 0,
    oa = v[7] or "",
    od = v[8] or "",
    at = tonumber(v[9]) or 0,
    mt = tonumber(v[10]) or 0,
    v = tonumber(v[11]) or 0,
  }
end

local function save_state(key, s)
  redis.call("HSET", key, "g", s.g, "cid", s.cid, "st", s.st, "md", s.md, "fc", s.fc,
    "sc", s.sc, "oa", s.oa, "od", s.od, "at", s.at, "mt", s.mt, "v", s.v)
end

-- Drops expired leases; returns how many are live.
local function live_leases(key, now)
  redis.call("ZREMRANGEBYSCORE", key, "-inf", now)
  return redis.call("ZCARD", key)
end

local function encode(s, leases, now)
  return table.concat({ s.v, s.g, s.cid, s.st, s.md, s.fc, s.sc, s.oa, s.od, s.at, leases, s.mt, now }, ",")
end

-- Whether a change decided on `token` (a generation, or the id of the change that made it) is
-- still current.
local function is_current(s, token)
  return token == tostring(s.g) or (s.cid ~= "" and token == s.cid)
end

-- Starts a new generation in `state` by change `cid`, following the storage contract's rules.
local function move(s, state, cid, now, od, keys)
  s.g = s.g + 1
  s.cid = cid
  s.sc = 0
  redis.call("DEL", keys[2])
  if state == "closed" then
    s.fc = 0
    s.oa = ""
    s.od = ""
    s.at = 0
    redis.call("DEL", keys[3])
  elseif state == "open" then
    s.oa = now
    s.od = od
    s.at = s.at + 1
  end
  s.st = state
end

-- Answers `kind` with the state; a change (`changed`) gets a new version, is saved and published.
local function finish(kind, s, keys, channel, now, changed)
  if changed then
    s.v = s.v + 1
    save_state(keys[1], s)
  end
  local leases = live_leases(keys[2], now)
  local text = encode(s, leases, now)
  if changed then
    redis.call("PUBLISH", channel, text)
  end
  return kind .. "," .. text
end

-- Adds `batch` ("k:c:f:s;k:c:f:s", k a bucket index) to the window of `count` buckets of
-- `width` ms ending at server time `now`, drops aged buckets, and returns calls, failures, slow
-- calls and the live buckets in the batch's format. A bucket from a client clock running ahead
-- of the server's counts in the current bucket.
local function update_window(key, width, count, now, batch)
  local current = math.floor(now / width)
  local first = current - count + 1
  local stored = redis.call("HGET", key, "w")
  if stored and tonumber(stored) ~= width then
    redis.call("DEL", key)
  end
  for k, c, f, sl in string.gmatch(batch, "(%-?%d+):(%d+):(%d+):(%d+)") do
    local index = math.min(tonumber(k), current)
    if index >= first then
      redis.call("HINCRBY", key, index .. ":c", c)
      redis.call("HINCRBY", key, index .. ":f", f)
      redis.call("HINCRBY", key, index .. ":s", sl)
    end
  end
  redis.call("HSET", key, "w", width)
  local fields = redis.call("HGETALL", key)
  local buckets = {}
  local calls, failures, slow = 0, 0, 0
  for i = 1, #fields, 2 do
    local index, kind = string.match(fields[i], "^(%-?%d+):(%a)$")
    if index then
      index = tonumber(index)
      if index < first or index > current then
        redis.call("HDEL", key, fields[i])
      else
        local n = tonumber(fields[i + 1])
        local b = buckets[index] or { 0, 0, 0 }
        if kind == "c" then
          b[1] = n
          calls = calls + n
        elseif kind == "f" then
          b[2] = n
          failures = failures + n
        else
          b[3] = n
          slow = slow + n
        end
        buckets[index] = b
      end
    end
  end
  redis.call("PEXPIRE", key, math.ceil(width * (count + 1)))
  local parts = {}
  for index, b in pairs(buckets) do
    parts[#parts + 1] = index .. ":" .. b[1] .. ":" .. b[2] .. ":" .. b[3]
  end
  return calls, failures, slow, table.concat(parts, ";")
end
