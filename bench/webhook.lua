-- wrk script for bench/webhook_ingest.py and bench/stripe_webhooks.py: sends pre-signed
-- webhooks from a file, one unique event per request, and every DUPLICATE_EVERY-th request
-- repeats the thread's last event, as a provider's redelivery does. Counts sent events and
-- response statuses per thread for the driver. BENCH_SIGNATURE_HEADER names the header that
-- carries each line's signature.

local DUPLICATE_EVERY = 20
local threads = {}
local thread_count = tonumber(os.getenv("BENCH_THREADS"))
local path = os.getenv("BENCH_PATH")
local requests_file = os.getenv("BENCH_REQUESTS")
local signature_header = os.getenv("BENCH_SIGNATURE_HEADER") or "X-Bench-Signature"

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  lines = {}
  local index = 0
  for line in io.lines(requests_file) do
    if index % thread_count == id then
      table.insert(lines, line)
    end
    index = index + 1
  end
  position = 0
  sent = 0
  unique = 0
  duplicates = 0
  ok = 0
  failed = 0
  last = nil
end

function request()
  sent = sent + 1
  local line
  if last ~= nil and sent % DUPLICATE_EVERY == 0 then
    line = last
    duplicates = duplicates + 1
  else
    position = position + 1
    line = lines[position]
    if line == nil then
      error("requests file exhausted; generate more events")
    end
    unique = unique + 1
    last = line
  end
  local tab = string.find(line, "\t")
  local signature = string.sub(line, 1, tab - 1)
  local body = string.sub(line, tab + 1)
  return wrk.format("POST", path, {["Content-Type"] = "application/json", [signature_header] = signature}, body)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local totals = {unique = 0, duplicates = 0, ok = 0, failed = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(totals) do
      totals[key] = totals[key] + thread:get(key)
    end
  end
  io.write(string.format("BENCH unique=%d duplicates=%d ok=%d failed=%d\n", totals.unique, totals.duplicates, totals.ok, totals.failed))
  io.write(string.format("BENCH requests=%d seconds=%.3f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f socket_errors=%d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
