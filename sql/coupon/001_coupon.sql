-- coupon: a coupon is used by at most one order, only by its owner.
CREATE TABLE trade_coupon (
  coupon_id    bigint        PRIMARY KEY,
  coupon_price numeric(12,2) NOT NULL CHECK (coupon_price >= 0),
  user_id      bigint        NOT NULL,
  order_id     bigint,
  is_used      smallint      NOT NULL DEFAULT 0 CHECK (is_used IN (0, 1)),
  used_time    timestamptz,
  CHECK ((is_used = 1) = (order_id IS NOT NULL))
);

-- Cancelled orders seen by this service: a use that arrives after its
-- order's cancel is refused (anti-suspension tombstone).
CREATE TABLE trade_coupon_cancelled_order (
  order_id  bigint      PRIMARY KEY,
  coupon_id bigint,
  at        timestamptz NOT NULL DEFAULT now()
);
