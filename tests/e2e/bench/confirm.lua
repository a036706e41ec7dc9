-- wrk script: valid POST /order/confirm requests spread over the bench users
-- and goods that confirm_bench.sh loads (ids 900001.. and 800001..; every
-- goods costs 50.00, so shippingFee 10.00 and orderAmount 60.00; 1.00 of
-- the user's balance is used, so the user service is on the path too).
local users_from, users_n = 900001, tonumber(os.getenv("BENCH_USERS") or "1000")
local goods_from, goods_n = 800001, tonumber(os.getenv("BENCH_GOODS") or "100")
local counts = {}

function setup(thread)
  thread:set("id", math.random(1, 1000000))
end

function init(args)
  math.randomseed(os.time() + id)
end

request = function()
  local u = users_from + math.random(0, users_n - 1)
  local g = goods_from + math.random(0, goods_n - 1)
  local body = string.format(
    '{"goodsId":"%d","userId":"%d","goodsNumber":1,"goodsPrice":"50.00","shippingFee":"10.00",' ..
    '"orderAmount":"60.00","moneyPaid":"1.00","address":"bench","consignee":"wrk"}', g, u)
  return wrk.format("POST", "/order/confirm", {["Content-Type"] = "application/json"}, body)
end
