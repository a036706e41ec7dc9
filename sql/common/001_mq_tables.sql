-- Tables every service keeps in its own schema for messaging (shop.md).
-- Applied into each service schema by the migrator (search_path = the schema).

-- The idempotent consumer's log: one row per (group, tag, key).
-- consumer_status: 0 processing, 1 success, 2 failed; consumer_times counts attempts.
CREATE TABLE mq_consumer_log (
  group_name      text        NOT NULL,
  msg_tag         text        NOT NULL,
  msg_key         text        NOT NULL,
  msg_id          text        NOT NULL,
  msg_body        text,
  consumer_status smallint    NOT NULL DEFAULT 0 CHECK (consumer_status IN (0, 1, 2)),
  consumer_times  integer     NOT NULL DEFAULT 0 CHECK (consumer_times >= 0),
  remark          text,
  create_time     timestamptz NOT NULL DEFAULT now(),
  update_time     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_name, msg_tag, msg_key)
);

-- The transactional outbox: msg_status 0 pending, 1 sent.
CREATE TABLE mq_producer_temp (
  id          bigserial   PRIMARY KEY,
  group_name  text        NOT NULL,
  msg_topic   text        NOT NULL,
  msg_tag     text        NOT NULL DEFAULT '',
  msg_key     text        NOT NULL DEFAULT '',
  msg_body    text        NOT NULL,
  msg_status  smallint    NOT NULL DEFAULT 0 CHECK (msg_status IN (0, 1)),
  create_time timestamptz NOT NULL DEFAULT now(),
  send_time   timestamptz
);
CREATE INDEX mq_producer_temp_pending ON mq_producer_temp (id) WHERE msg_status = 0;
