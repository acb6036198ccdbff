-- record.lua: records outcomes of closed-state calls (and failures of any state), and trips
-- the breaker when the fleet's consecutive count or the fleet's window rates say so: the one
-- place an automatic opening is decided, so N processes failing at once make one opening.
--
-- KEYS: see lib.lua (state, leases, window).
-- ARGV[1]  channel
-- ARGV[2]  token: the generation (or the id of the change that made it) the outcomes belong to
-- ARGV[3]  cid: the id this trip would carry
-- ARGV[4]  "1" to add one consecutive failure, "0" to record window outcomes only
-- ARGV[5]  failMax, or "" when the consecutive count never trips
-- ARGV[6]  the opening's duration (ms) if this trips, or "" for the breaker's resetTimeout
-- ARGV[7]  window bucket width (ms), or "" when the breaker shares no window
-- ARGV[8]  window bucket count
-- ARGV[9]  minimumCalls
-- ARGV[10] failureRateThreshold (percent), or ""
-- ARGV[11] slowCallRateThreshold (percent), or ""
-- ARGV[12] "1" to judge the window's rates (the batch holds a failure or a slow call)
-- ARGV[13] the batch of window outcomes: "k:calls:failures:slow;..." by bucket index
-- Reply: "<kind>,<state>" or, with a window, "<kind>,<state>|<buckets>" where kind is
--   "trip" (this record opened the breaker), "ok", "late" (token no longer current: nothing
--   recorded) or "missing" (no state: "missing,<now>", nothing recorded).

local now = now_ms()
local s = load_state(KEYS[1])
if not s then
  return "missing," .. now
end
if not is_current(s, ARGV[2]) then
  local text = "late," .. encode(s, live_leases(KEYS[2], now), now)
  if ARGV[7] ~= "" then
    local _, _, _, buckets = update_window(KEYS[3], tonumber(ARGV[7]), tonumber(ARGV[8]), now, "")
    text = text .. "|" .. buckets
  end
  return text
end

local counted = ARGV[4] == "1"
if counted then
  s.fc = s.fc + 1
end
local tripped = false
local judging = s.st == "closed" and s.md == "enabled"
if judging and ARGV[5] ~= "" and s.fc >= tonumber(ARGV[5]) then
  tripped = true
end
local buckets = nil
if ARGV[7] ~= "" then
  local batch = ""
  if s.st == "closed" then
    batch = ARGV[13]
  end
  local calls, failures, slow
  calls, failures, slow, buckets =
    update_window(KEYS[3], tonumber(ARGV[7]), tonumber(ARGV[8]), now, batch)
  if judging and not tripped and ARGV[12] == "1" and calls >= tonumber(ARGV[9]) and calls > 0 then
    if ARGV[10] ~= "" and failures * 100 >= tonumber(ARGV[10]) * calls then
      tripped = true
    elseif ARGV[11] ~= "" and slow * 100 >= tonumber(ARGV[11]) * calls then
      tripped = true
    end
  end
end

local kind = "ok"
if tripped then
  move(s, "open", ARGV[3], now, ARGV[6], KEYS)
  kind = "trip"
end
local text = finish(kind, s, KEYS, ARGV[1], now, counted or tripped)
if buckets then
  text = text .. "|" .. buckets
end
return text
