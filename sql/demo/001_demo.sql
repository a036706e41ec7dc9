-- Demo data for a running shop (deploy/up.sh loads it as the superuser;
-- never applied by migrations). Idempotent: existing rows are kept as they are.
-- Every demo user's password is "demo123" (salted SHA-256, see sql/users).
INSERT INTO users.trade_user (user_id, user_name, user_password, user_mobile, user_score, user_money) VALUES
  (1001, 'alice', 'sha256$a1b2c3d4$a352ef0924f85df75a181a392f20d33b3d9b82105c649a16ca34426077c547de', '13800000001', 0, 1000.00),
  (1002, 'bob',   'sha256$a1b2c3d4$a352ef0924f85df75a181a392f20d33b3d9b82105c649a16ca34426077c547de', '13800000002', 0,  200.00),
  (1003, 'carol', 'sha256$a1b2c3d4$a352ef0924f85df75a181a392f20d33b3d9b82105c649a16ca34426077c547de', '13800000003', 0,    0.00)
ON CONFLICT (user_id) DO NOTHING;

INSERT INTO goods.trade_goods (goods_id, goods_name, goods_number, goods_price, goods_desc) VALUES
  (2001, 'RocketMQ in Action (book)', 100, 89.00, 'a book'),
  (2002, 'Mechanical keyboard',        20, 399.00, 'clicky'),
  (2003, 'Sticker',                  1000, 1.50, 'cheap, ships for 10.00')
ON CONFLICT (goods_id) DO NOTHING;

INSERT INTO coupon.trade_coupon (coupon_id, coupon_price, user_id, is_used) VALUES
  (3001, 10.00, 1001, 0),
  (3002, 20.00, 1001, 0),
  (3003, 5.00,  1002, 0)
ON CONFLICT (coupon_id) DO NOTHING;
