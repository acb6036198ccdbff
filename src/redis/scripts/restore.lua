-- restore.lua: replaces the breaker's state with a restored one (an operator's action that
-- always applies): a new generation, trial leases cleared.
--
-- KEYS: see lib.lua (state, leases, window).
-- ARGV[1] channel
-- ARGV[2] cid: the id of this change
-- ARGV[3..9] state, mode, failCounter, successCounter, openedAt (server ms, or ""),
--            openDuration (ms, or ""), openAttempts
-- Reply: "ok,<state>".

local now = now_ms()
local s = load_state(KEYS[1])
local g, v = 0, 0
if s then
  g, v = s.g, s.v
end
s = {
  g = g + 1,
  cid = ARGV[2],
  st = ARGV[3],
  md = ARGV[4],
  fc = tonumber(ARGV[5]),
  sc = tonumber(ARGV[6]),
  oa = ARGV[7],
  od = ARGV[8],
  at = tonumber(ARGV[9]),
  mt = now,
  v = v,
}
redis.call("DEL", KEYS[2])
return finish("ok", s, KEYS, ARGV[1], now, true)
