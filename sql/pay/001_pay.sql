-- pay: payments and the transactional-message log.
CREATE TABLE trade_pay (
  pay_id      bigint        PRIMARY KEY,
  order_id    bigint        NOT NULL,
  user_id     bigint        NOT NULL,  -- the order's user (carried in the paid message for the score)
  pay_amount  numeric(12,2) NOT NULL CHECK (pay_amount >= 0),
  is_paid     smallint      NOT NULL DEFAULT 1 CHECK (is_paid IN (1, 2)),  -- 1 no, 2 yes
  create_time timestamptz   NOT NULL DEFAULT now(),
  pay_time    timestamptz
);
-- At most one paid payment per order.
CREATE UNIQUE INDEX trade_pay_one_paid_per_order ON trade_pay (order_id) WHERE is_paid = 2;

-- One row per transactional message, keyed by its transaction id: written by
-- the local transaction (state 1 = committed, the payment flipped to paid),
-- or by the check-back as a fence (state 2 = rolled back) so a local
-- transaction that arrives later fails instead of committing behind the
-- broker's back (shop.md "Payment").
CREATE TABLE tx_log (
  transaction_id text        PRIMARY KEY,
  pay_id         bigint      NOT NULL,
  state          smallint    NOT NULL CHECK (state IN (1, 2)),
  created_at     timestamptz NOT NULL DEFAULT now()
);
