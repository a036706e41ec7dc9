-- goods: stock and the per-order stock log (shop.md "Tables", corrected keys).
CREATE TABLE trade_goods (
  goods_id     bigint        PRIMARY KEY,
  goods_name   text          NOT NULL,
  goods_number integer       NOT NULL CHECK (goods_number >= 0),
  goods_price  numeric(12,2) NOT NULL CHECK (goods_price >= 0),
  goods_desc   text,
  add_time     timestamptz   NOT NULL DEFAULT now()
);

-- log_type 1 = reduce, 2 = restore. One row of each kind per (goods, order):
-- a reduce applies at most once, a restore at most once. A restore row with
-- goods_number 0 and no reduce row is a tombstone: the cancel came first, and
-- a late reduce for that order is refused.
CREATE TABLE trade_goods_number_log (
  goods_id     bigint      NOT NULL REFERENCES trade_goods (goods_id),
  order_id     bigint      NOT NULL,
  log_type     smallint    NOT NULL CHECK (log_type IN (1, 2)),
  goods_number integer     NOT NULL CHECK (goods_number >= 0),
  log_time     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (goods_id, order_id, log_type)
);
