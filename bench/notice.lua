-- wrk script: POST a valid notice with a unique external_id per request (per thread prefix); with
-- VARSEL_BENCH_FLOOR set, GET the landlord's newest notice instead (an authenticated read through the
-- ORM session); with VARSEL_BENCH_STACK set, GET /healthz (the middleware stack alone, no key, no database);
-- with VARSEL_BENCH_IDEMPOTENCY set, each notice with an Idempotency-Key of its own (as docs/integrators.md's
-- example sends them).
-- At the end it prints one machine-readable line for bench/bench_ingest.py:
--   BENCH requests=<n> non2xx=<n> errors=<n> seconds=<s> p50=<ms> p95=<ms> p99=<ms>
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
  key = os.getenv("VARSEL_BENCH_KEY") or ""
  today = os.getenv("VARSEL_BENCH_DATE") or "2026-11-20"
  run = os.getenv("VARSEL_BENCH_RUN") or tostring(os.time())
  keyed = os.getenv("VARSEL_BENCH_IDEMPOTENCY")
end

request = function()
  counter = counter + 1
  if os.getenv("VARSEL_BENCH_STACK") then
    return wrk.format("GET", "/healthz")
  end
  if os.getenv("VARSEL_BENCH_FLOOR") then
    -- An authenticated read through the same stack: the key, the ORM session, the newest notice with
    -- its case and deadlines, the JSON answer.
    return wrk.format("GET", "/api/v1/notices?limit=1", {["Authorization"] = "Bearer " .. key})
  end
  local body = string.format([[{"external_id": "BENCH-%s-%d-%d", "kind": "rent_arrears", "sent_on": "%s",
    "tenant_served_on": "%s", "termination_on": "%s",
    "property": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm", "apartment_number": "1102", "rooms": 2},
    "tenants": [{"name": "Anna Andersson", "phone": "+46701234567"}],
    "arrears": {"amount_sek": 16900.00, "due_date": "2026-10-31", "payment_instructions": "Bankgiro 123-4567"},
    "contact": {"name": "Kim Lind", "phone": "08-123 456 00"}}]], run, thread_id, counter, today, today, today)
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
  if keyed then
    headers["Idempotency-Key"] = string.format("bench/%s/%d/%d", run, thread_id, counter)
  end
  return wrk.format("POST", "/api/v1/notices", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d non2xx=%d errors=%d seconds=%.3f p50=%.2f p95=%.2f p99=%.2f\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
