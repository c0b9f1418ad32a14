-- wrk script for scripts/soak.sh: post.lua's requests, plus a count of 5xx answers.
-- Run from the repository's root, as soak.sh does.
dofile("scripts/bench/post.lua")

local threads = {}
fivexx = 0

setup = function(thread)
  table.insert(threads, thread)
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
