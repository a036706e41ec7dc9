-- wrk script: POST /pay/callbackPayment for payments confirm_bench.sh
-- inserted unpaid (pay ids BENCH_PAY_FROM + 1 ..), each paid once: thread t
-- of n takes ids t, t+n, t+2n, ... (run it with one connection per thread).
local from = tonumber(os.getenv("BENCH_PAY_FROM") or "600000000")
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  step = tonumber(os.getenv("BENCH_THREADS") or "1")
end

request = function()
  local id = from + tid + n * step
  n = n + 1
  return wrk.format("POST", "/pay/callbackPayment", {["Content-Type"] = "application/json"},
    string.format('{"payId":"%d","isPaid":2}', id))
end
