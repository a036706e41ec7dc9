-- POST /user/money as one statement: the service calls
--   SELECT result, balance FROM user_change_money($user, $order, $amount, $type)
-- in autocommit: one round trip and one commit instead of seven. Type 1 pays
-- with the balance, type 2 refunds what the order paid; the rules are those
-- of user.h:
--   result 0  applied now (balance = the new balance, as text)
--          1  a repeat of the same change
--          2  pay refused: the order was refunded or tombstoned first
--          3  the amount differs from the order's pay
--          4  no such user
--          5  pay refused: the balance is too low
--          6  refund refused: the order never paid with the balance
-- The advisory lock on the order id serializes pay and refund of one order.
CREATE FUNCTION user_change_money(p_user bigint, p_order bigint, p_amount numeric, p_type integer,
                                  OUT result integer, OUT balance text)
LANGUAGE plpgsql AS $$
DECLARE
  paid numeric;
  refunded boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(p_order);
  SELECT max(use_money) FILTER (WHERE money_log_type = 1), bool_or(money_log_type = 2) INTO paid, refunded
    FROM trade_user_money_log WHERE user_id = p_user AND order_id = p_order;
  refunded := coalesce(refunded, false);
  IF p_type = 1 THEN
    IF refunded THEN result := 2; RETURN; END IF;
    IF paid IS NOT NULL THEN
      result := CASE WHEN paid = p_amount THEN 1 ELSE 3 END;
      RETURN;
    END IF;
    UPDATE trade_user SET user_money = user_money - p_amount WHERE user_id = p_user AND user_money >= p_amount
    RETURNING user_money::text INTO balance;
    IF NOT FOUND THEN
      result := CASE WHEN EXISTS (SELECT 1 FROM trade_user WHERE user_id = p_user) THEN 5 ELSE 4 END;
      RETURN;
    END IF;
  ELSE
    IF paid IS NULL THEN
      result := CASE WHEN EXISTS (SELECT 1 FROM trade_user WHERE user_id = p_user) THEN 6 ELSE 4 END;
      RETURN;
    END IF;
    IF paid <> p_amount THEN result := 3; RETURN; END IF;
    IF refunded THEN result := 1; RETURN; END IF;
    UPDATE trade_user SET user_money = user_money + p_amount WHERE user_id = p_user
    RETURNING user_money::text INTO balance;
  END IF;
  INSERT INTO trade_user_money_log (user_id, order_id, money_log_type, use_money) VALUES (p_user, p_order, p_type, p_amount);
  result := 0;
END
$$;
