-- acquire.lua: takes a half-open trial lease if fewer than the limit are live fleet-wide.
-- Expired leases (a holder that died or stopped renewing) are dropped first.
--
-- KEYS: see lib.lua (state, leases, window).
-- ARGV[1] channel
-- ARGV[2] token: the generation (or the id of the change that made it) the trial is for
-- ARGV[3] the lease id
-- ARGV[4] the limit (halfOpenMaxCalls)
-- ARGV[5] the lease's length (ms)
-- Reply: "<kind>,<state>|<expiry>", kind "granted" or "denied" (not current, not half-open and
--   enabled, or no lease free), expiry the server time (ms) the earliest live lease ends, or "";
--   or "missing,<now>".

local now = now_ms()
local s = load_state(KEYS[1])
if not s then
  return "missing," .. now
end
local live = live_leases(KEYS[2], now)
local kind = "denied"
if is_current(s, ARGV[2]) and s.st == "half-open" and s.md == "enabled" and live < tonumber(ARGV[4]) then
  redis.call("ZADD", KEYS[2], now + tonumber(ARGV[5]), ARGV[3])
  kind = "granted"
end
local text = finish(kind, s, KEYS, ARGV[1], now, kind == "granted")
local first = redis.call("ZRANGE", KEYS[2], 0, 0, "WITHSCORES")
local expiry = ""
if first[2] then
  expiry = first[2]
end
return text .. "|" .. expiry
