-- Stored first responses for Idempotency-Key retries (shop.md "Client
-- retries"): a repeat with the same key returns the stored response and does
-- nothing else; the same key with a different request is refused.
CREATE TABLE idempotency_key (
  idem_key     text        PRIMARY KEY,
  route        text        NOT NULL,
  request_hash text        NOT NULL,
  http_status  integer,
  response     text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
