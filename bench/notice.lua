-- wrk script: POST a valid notice with a unique external_id per request (per thread prefix).
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
end

request = function()
  counter = counter + 1
  local body = string.format([[{"external_id": "BENCH-%d-%d-%d", "kind": "rent_arrears", "sent_on": "%s",
    "tenant_served_on": "%s", "termination_on": "%s",
    "property": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm", "apartment_number": "1102", "rooms": 2},
    "tenants": [{"name": "Anna Andersson", "phone": "+46701234567"}],
    "arrears": {"amount_sek": 16900.00, "due_date": "2026-10-31", "payment_instructions": "Bankgiro 123-4567"},
    "contact": {"name": "Kim Lind", "phone": "08-123 456 00"}}]], os.time(), thread_id, counter, today, today, today)
  return wrk.format("POST", "/api/v1/notices", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key}, body)
end
