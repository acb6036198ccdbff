-- reset.lua: a closed-state success after failures: the fleet's consecutive count goes back to 0.
--
-- KEYS: see lib.lua (state, leases, window).
-- ARGV[1] channel
-- ARGV[2] token: the generation (or the id of the change that made it) the success belongs to
-- Reply: "<kind>,<state>", kind "ok", "late" (token not current: nothing changed) or
--   "missing" ("missing,<now>").

local now = now_ms()
local s = load_state(KEYS[1])
if not s then
  return "missing," .. now
end
if not is_current(s, ARGV[2]) then
  return "late," .. encode(s, live_leases(KEYS[2], now), now)
end
local changed = s.fc ~= 0
s.fc = 0
return finish("ok", s, KEYS, ARGV[1], now, changed)
