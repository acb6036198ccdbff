-- release.lua: gives back a trial lease with no verdict (an aborted or timed-out trial).
--
-- KEYS: see lib.lua (state, leases, window).
-- ARGV[1] channel
-- ARGV[2] the lease id
-- Reply: "ok,<state>" (published when a live lease was given back) or "missing,<now>".

local now = now_ms()
local removed = redis.call("ZREM", KEYS[2], ARGV[2])
local s = load_state(KEYS[1])
if not s then
  return "missing," .. now
end
return finish("ok", s, KEYS, ARGV[1], now, removed == 1)
