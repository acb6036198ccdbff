-- trial-success.lua: a half-open trial succeeded: gives back its lease, counts the fleet's
-- half-open successes, and closes the breaker when they reach successThreshold.
--
-- KEYS: see lib.lua (state, leases, window).
-- ARGV[1] channel
-- ARGV[2] token: the generation (or the id of the change that made it) the trial belongs to
-- ARGV[3] the trial's lease id ("" when it holds none: taken during an outage)
-- ARGV[4] successThreshold
-- ARGV[5] cid: the id this closing would carry
-- Reply: "<kind>,<state>", kind "closed" (this success closed the breaker), "ok", "late"
--   (token not current: only the lease is given back) or "missing" ("missing,<now>").

local now = now_ms()
if ARGV[3] ~= "" then
  redis.call("ZREM", KEYS[2], ARGV[3])
end
local s = load_state(KEYS[1])
if not s then
  return "missing," .. now
end
if not is_current(s, ARGV[2]) or s.st ~= "half-open" then
  return "late," .. encode(s, live_leases(KEYS[2], now), now)
end
s.sc = s.sc + 1
local kind = "ok"
if s.sc >= tonumber(ARGV[4]) then
  move(s, "closed", ARGV[5], now, "", KEYS)
  kind = "closed"
end
return finish(kind, s, KEYS, ARGV[1], now, true)
