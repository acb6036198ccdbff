-- set-state.lua: moves the breaker to a state. An automatic change (a token given) applies only
-- if its token is still current (compare-and-set: one of N racing processes wins); a manual
-- change (no token) always applies and is stamped as the latest operator action.
--
-- KEYS: see lib.lua (state, leases, window).
-- ARGV[1] channel
-- ARGV[2] token, or "" for a manual change
-- ARGV[3] cid: the id of this change
-- ARGV[4] the state: "closed", "open" or "half-open"
-- ARGV[5] the opening's duration (ms), or "" for the breaker's resetTimeout ("open" only)
-- ARGV[6] a trial lease id to take in the new half-open generation, or ""
-- ARGV[7] that lease's length (ms)
-- Reply: "<kind>,<state>", kind "ok" (applied; the lease, if asked, is taken), "late" (token
--   not current: nothing changed) or "missing" ("missing,<now>").

local now = now_ms()
local s = load_state(KEYS[1])
if not s then
  return "missing," .. now
end
local manual = ARGV[2] == ""
if not manual and not is_current(s, ARGV[2]) then
  return "late," .. encode(s, live_leases(KEYS[2], now), now)
end
move(s, ARGV[4], ARGV[3], now, ARGV[5], KEYS)
if manual then
  s.mt = now
end
if ARGV[4] == "half-open" and ARGV[6] ~= "" then
  redis.call("ZADD", KEYS[2], now + tonumber(ARGV[7]), ARGV[6])
end
return finish("ok", s, KEYS, ARGV[1], now, true)
