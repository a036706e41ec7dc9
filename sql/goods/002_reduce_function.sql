-- POST /goods/reduce as one statement: the service calls
--   SELECT result, remaining FROM goods_reduce($goods, $order, $number)
-- in autocommit, so the reduce costs one round trip and one commit instead
-- of BEGIN, the advisory lock, the log lookup, the update, the log insert
-- and COMMIT (six round trips). The rules are those of goods.h:
--   result 0  reduced now (remaining = stock left)
--          1  a repeat of this order's reduce with the same number
--          2  the order was cancelled first (a restore row or tombstone)
--          3  a repeat with another number
--          4  no such goods
--          5  not enough stock
-- The advisory lock on the order id serializes this with the cancel's
-- restore of the same order (GoodsService::restore).
CREATE FUNCTION goods_reduce(p_goods bigint, p_order bigint, p_number integer,
                             OUT result integer, OUT remaining integer)
LANGUAGE plpgsql AS $$
DECLARE
  prior record;
BEGIN
  PERFORM pg_advisory_xact_lock(p_order);
  -- A restore (type 2) wins over an earlier reduce.
  SELECT log_type, goods_number INTO prior FROM trade_goods_number_log
   WHERE goods_id = p_goods AND order_id = p_order ORDER BY log_type DESC LIMIT 1;
  IF FOUND THEN
    result := CASE WHEN prior.log_type = 2 THEN 2 WHEN prior.goods_number = p_number THEN 1 ELSE 3 END;
    RETURN;
  END IF;
  UPDATE trade_goods SET goods_number = goods_number - p_number
   WHERE goods_id = p_goods AND goods_number >= p_number
  RETURNING goods_number INTO remaining;
  IF NOT FOUND THEN
    result := CASE WHEN EXISTS (SELECT 1 FROM trade_goods WHERE goods_id = p_goods) THEN 5 ELSE 4 END;
    RETURN;
  END IF;
  INSERT INTO trade_goods_number_log (goods_id, order_id, log_type, goods_number) VALUES (p_goods, p_order, 1, p_number);
  result := 0;
END
$$;
