-- wrk script: GET /api/businesses around 75011 within 10 km (scripts/load-search.sh), the directory's
-- first page of 20 nearest perks.
request = function()
  return wrk.format("GET", "/api/businesses?postal_code=75011&radius_km=10")
end

done = function(summary, latency)
  io.write(string.format("median_ms %.2f p99_ms %.2f requests %d errors %d\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
