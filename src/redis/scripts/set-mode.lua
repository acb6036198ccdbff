-- set-mode.lua: sets the mode ("enabled", "disabled", "forced-open"), an operator's action that
-- always applies: a new generation, trial leases cleared, the state left as it is.
--
-- KEYS: see lib.lua (state, leases, window).
-- ARGV[1] channel
-- ARGV[2] cid: the id of this change
-- ARGV[3] the mode
-- Reply: "ok,<state>" or "missing,<now>".

local now = now_ms()
local s = load_state(KEYS[1])
if not s then
  return "missing," .. now
end
s.g = s.g + 1
s.cid = ARGV[2]
s.md = ARGV[3]
s.mt = now
redis.call("DEL", KEYS[2])
return finish("ok", s, KEYS, ARGV[1], now, true)
