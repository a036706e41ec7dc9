-- orders: the order and its consumed step stream.
CREATE TABLE trade_order (
  order_id        bigint        PRIMARY KEY,
  user_id         bigint        NOT NULL,
  order_status    smallint      NOT NULL CHECK (order_status BETWEEN 0 AND 4),  -- 0 unconfirmed 1 confirmed 2 cancelled 3 invalid 4 refunded
  pay_status      smallint      NOT NULL DEFAULT 0 CHECK (pay_status BETWEEN 0 AND 2),  -- 0 unpaid 1 paying 2 paid
  shipping_status smallint      NOT NULL DEFAULT 0 CHECK (shipping_status BETWEEN 0 AND 2),
  address         text,
  consignee       text,
  goods_id        bigint        NOT NULL,
  goods_number    integer       NOT NULL CHECK (goods_number > 0),
  goods_price     numeric(12,2) NOT NULL CHECK (goods_price >= 0),
  goods_amount    numeric(12,2) NOT NULL CHECK (goods_amount >= 0),
  shipping_fee    numeric(12,2) NOT NULL CHECK (shipping_fee >= 0),
  order_amount    numeric(12,2) NOT NULL CHECK (order_amount >= 0),
  coupon_id       bigint,
  coupon_paid     numeric(12,2) NOT NULL DEFAULT 0 CHECK (coupon_paid >= 0),
  money_paid      numeric(12,2) NOT NULL DEFAULT 0 CHECK (money_paid >= 0),
  pay_amount      numeric(12,2) NOT NULL CHECK (pay_amount >= 0),
  add_time        timestamptz   NOT NULL DEFAULT now(),
  confirm_time    timestamptz,
  pay_time        timestamptz,
  shipping_time   timestamptz,
  finish_time     timestamptz
);
CREATE INDEX trade_order_user ON trade_order (user_id);

CREATE TABLE order_step_log (
  order_id bigint      NOT NULL,
  seq      integer     NOT NULL CHECK (seq > 0),
  step     text        NOT NULL CHECK (step IN ('created', 'paid', 'cancelled', 'shipped', 'finished')),
  at       timestamptz NOT NULL DEFAULT now(),
  msg_id   text,
  PRIMARY KEY (order_id, seq),
  UNIQUE (order_id, step)
);
