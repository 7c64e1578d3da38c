-- wrk script: POST /api/offers, each request with the next member's session (20 open posts each at
-- most, so the sessions file must hold enough members for the run). Set SESSIONS to the file.
local sessions = {}
for line in io.lines(os.getenv("SESSIONS")) do
  sessions[#sessions + 1] = line
end
local n = 0
local body = '{"kind":"help","help_type":"groceries","postal_codes":["75011"],"radius_km":5,"capacity":1}'

request = function()
  n = n + 1
  local session = sessions[(n % #sessions) + 1]
  return wrk.format("POST", "/api/offers", { ["content-type"] = "application/json", ["authorization"] = "Bearer " .. session }, body)
end

done = function(summary, latency)
  io.write(string.format("median_ms %.2f p99_ms %.2f requests %d errors %d\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
