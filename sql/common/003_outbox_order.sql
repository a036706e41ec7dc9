-- The outbox carries delayed messages (the order service's delayed order
-- check) and ordered ones (order steps: sent to the queue chosen by
-- shard_key modulo the topic's queue count).
ALTER TABLE mq_producer_temp
  ADD COLUMN delay_level smallint NOT NULL DEFAULT 0 CHECK (delay_level BETWEEN 0 AND 64),
  ADD COLUMN shard_key   bigint;
