-- Roles and schemas of the shop, run by the deploy script (and the test
-- harnesses) as the cluster superuser in the `shop` database. Idempotent.
-- One role per service, owning only its own schema; no role can read another
-- service's schema. Tables are created by each service's migrations, run as
-- that service's role (sql/common/ then sql/<schema>/).
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['shop_goods', 'shop_coupon', 'shop_user', 'shop_order', 'shop_pay'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I LOGIN', r);
    END IF;
  END LOOP;
END $$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON DATABASE shop FROM PUBLIC;

CREATE SCHEMA IF NOT EXISTS goods  AUTHORIZATION shop_goods;
CREATE SCHEMA IF NOT EXISTS coupon AUTHORIZATION shop_coupon;
CREATE SCHEMA IF NOT EXISTS users  AUTHORIZATION shop_user;
CREATE SCHEMA IF NOT EXISTS orders AUTHORIZATION shop_order;
CREATE SCHEMA IF NOT EXISTS pay    AUTHORIZATION shop_pay;

GRANT CONNECT ON DATABASE shop TO shop_goods, shop_coupon, shop_user, shop_order, shop_pay;
