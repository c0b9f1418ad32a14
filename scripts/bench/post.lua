-- wrk script: POSTs the JSON bodies of the file $WRK_BODIES (one per line) in turn, each
-- thread from its own offset, with $WRK_API_KEY as a bearer key when set.
local bodies = {}
local file = os.getenv("WRK_BODIES")
if file then
  for line in io.lines(file) do bodies[#bodies + 1] = line end
end
local key = os.getenv("WRK_API_KEY")
local counter = 0

init = function(args)
  counter = math.random(1, math.max(1, #bodies))
end

request = function()
  counter = counter % #bodies + 1
  local headers = { ["Content-Type"] = "application/json" }
  if key and key ~= "" then headers["Authorization"] = "Bearer " .. key end
  return wrk.format("POST", nil, headers, bodies[counter])
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.0f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
