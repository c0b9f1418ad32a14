-- wrk script for scripts/soak.sh: post.lua's bodies, plus a count of 5xx answers.
local bodies = {}
local file = os.getenv("WRK_BODIES")
if file then
  for line in io.lines(file) do bodies[#bodies + 1] = line end
end
local key = os.getenv("WRK_API_KEY")
local counter = 0
local threads = {}
local fivexx = 0

setup = function(thread)
  table.insert(threads, thread)
end

init = function(args)
  counter = math.random(1, math.max(1, #bodies))
end

request = function()
  counter = counter % #bodies + 1
  local headers = { ["Content-Type"] = "application/json" }
  if key and key ~= "" then headers["Authorization"] = "Bearer " .. key end
  return wrk.format("POST", nil, headers, bodies[counter])
end

response = function(status, headers, body)
  if status >= 500 then fivexx = fivexx + 1 end
end

done = function(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + (thread:get("fivexx") or 0) end
  io.write(string.format("RESULT requests=%d rps=%.0f p99_us=%d s5xx=%d errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(99), total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
