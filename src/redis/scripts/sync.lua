-- sync.lua: the periodic resync and the recovery after an outage, in one step: reads the fleet's
-- state, renews this process's trial leases, and writes the process's mirror back when the rule
-- below says the mirror is the better record.
--
-- Merge rule (ARGV[3]):
--   "0" read only.
--   "1" write the mirror back if the state is missing (Redis restarted empty, or flushed) or
--       holds an older version than the mirror saw (a Redis that lost writes).
--   "2" the mirror holds changes made while Redis was unreachable, since generation ARGV[14]:
--       the mirror is written if the state is missing; if it holds the same state and mode as
--       the fleet, the fleet's stays (counts made offline are not merged); the mirror is
--       written if the fleet has not moved since that generation; otherwise the later manual change wins (the mirror's, ARGV[16], against the
--       fleet's mt, a tie going to the fleet); with no manual change on the fleet since the
--       outage began (ARGV[15]), an opening wins over a state that is not open (both enabled);
--       otherwise the fleet's stays.
--
-- KEYS: see lib.lua (state, leases, window).
-- ARGV[1]  channel
-- ARGV[2]  cid: the id a write-back carries when it makes a new generation
-- ARGV[3]  "0", "1" or "2" (above)
-- ARGV[4..13] the mirror: v, g, cid, st, md, fc, sc, oa (server ms, or ""), od (or ""), at
-- ARGV[14] the generation the offline changes started from
-- ARGV[15] the server time (ms) the outage began
-- ARGV[16] the server time (ms) of the mirror's last manual change while offline, or 0
-- ARGV[17] the lease length (ms) for renewals
-- ARGV[18] lease ids to renew, ";"-separated, or ""
-- ARGV[19] window bucket width (ms), or "" (no shared window)
-- ARGV[20] window bucket count
-- Reply: "<kind>,<state>" or, with a window, "<kind>,<state>|<buckets>", kind "wrote" (the
--   mirror was written back), "read", or "missing" ("missing,<now>": read only, no state).

local now = now_ms()
local s = load_state(KEYS[1])
local mode = ARGV[3]
local write = false
if mode ~= "0" then
  if not s then
    write = true
  elseif mode == "1" then
    write = s.v < tonumber(ARGV[4])
  elseif s.st == ARGV[7] and s.md == ARGV[8] then
    -- Only counts differ: the fleet's stand (no new generation for every process to catch).
    write = false
  elseif s.g == tonumber(ARGV[14]) then
    write = true
  else
    local manual_at = tonumber(ARGV[16])
    if manual_at > s.mt then
      write = true
    elseif s.mt < tonumber(ARGV[15]) then
      write = ARGV[7] == "open" and s.st ~= "open" and s.md == "enabled" and ARGV[8] == "enabled"
    end
  end
end
local kind = "read"
if write then
  local m = {
    v = tonumber(ARGV[4]),
    g = tonumber(ARGV[5]),
    cid = ARGV[6],
    st = ARGV[7],
    md = ARGV[8],
    fc = tonumber(ARGV[9]),
    sc = tonumber(ARGV[10]),
    oa = ARGV[11],
    od = ARGV[12],
    at = tonumber(ARGV[13]),
    mt = tonumber(ARGV[16]),
  }
  if s then
    m.v = math.max(s.v, m.v)
    m.g = math.max(s.g, m.g) + 1
    m.cid = ARGV[2]
    m.mt = math.max(s.mt, m.mt)
    redis.call("DEL", KEYS[2])
  elseif mode == "2" then
    m.g = m.g + 1
    m.cid = ARGV[2]
  end
  if m.st == "open" and m.oa == "" then
    m.oa = now
  end
  s = m
  kind = "wrote"
end
if not s then
  return "missing," .. now
end
for id in string.gmatch(ARGV[18], "[^;]+") do
  if redis.call("ZSCORE", KEYS[2], id) then
    redis.call("ZADD", KEYS[2], now + tonumber(ARGV[17]), id)
  end
end
local text = finish(kind, s, KEYS, ARGV[1], now, write)
if ARGV[19] ~= "" then
  local _, _, _, buckets = update_window(KEYS[3], tonumber(ARGV[19]), tonumber(ARGV[20]), now, "")
  text = text .. "|" .. buckets
end
return text
