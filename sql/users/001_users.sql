-- users: balances and the per-order money log (shop.md "Tables", corrected keys).
CREATE TABLE trade_user (
  user_id       bigint        PRIMARY KEY,
  user_name     text          NOT NULL,
  user_password text          NOT NULL,  -- "sha256$<salt hex>$<hash hex>", never the password
  user_mobile   text,
  user_score    integer       NOT NULL DEFAULT 0 CHECK (user_score >= 0),
  user_reg_time timestamptz   NOT NULL DEFAULT now(),
  user_money    numeric(12,2) NOT NULL DEFAULT 0 CHECK (user_money >= 0)
);

-- money_log_type 1 = paid (balance used by an order), 2 = refund. The key
-- makes each happen at most once per order. A refund row with use_money 0
-- and no paid row is a tombstone: a late pay for that order is refused.
CREATE TABLE trade_user_money_log (
  user_id        bigint        NOT NULL REFERENCES trade_user (user_id),
  order_id       bigint        NOT NULL,
  money_log_type smallint      NOT NULL CHECK (money_log_type IN (1, 2)),
  use_money      numeric(12,2) NOT NULL CHECK (use_money >= 0),
  create_time    timestamptz   NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, order_id, money_log_type)
);

-- Score added for a paid order, once.
CREATE TABLE trade_user_score_log (
  user_id     bigint      NOT NULL REFERENCES trade_user (user_id),
  order_id    bigint      NOT NULL,
  score       integer     NOT NULL CHECK (score >= 0),
  create_time timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, order_id)
);
