-- wrk script: POST the same JSON body on every request (or GET the URL when HOKO_BENCH_METHOD
-- is GET), then print one machine-readable line.
-- The body file and the API key come from the environment that `python -m bench` sets.
local body_file = assert(os.getenv("HOKO_BENCH_BODY_FILE"), "HOKO_BENCH_BODY_FILE is not set")
local api_key = assert(os.getenv("HOKO_BENCH_API_KEY"), "HOKO_BENCH_API_KEY is not set")

if os.getenv("HOKO_BENCH_METHOD") ~= "GET" then
  local file = assert(io.open(body_file, "rb"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. api_key
  file:close()
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'HOKO_BENCH_RESULT {"requests": %.0f, "duration_us": %.0f, "p50_us": %.0f, "p99_us": %.0f, '
      .. '"status_errors": %.0f, "socket_errors": %.0f}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
