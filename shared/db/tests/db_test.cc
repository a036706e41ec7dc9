// shop::db against a private PostgreSQL started by the test (pg_fixture).
#include "shop/db/pool.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "pg_fixture.h"
#include "shop/db/migrate.h"

namespace shop::db {
namespace {

using test::pg_server;
using namespace std::chrono_literals;

struct temp_dir {
  std::string path;
  temp_dir() {
    char t[] = "/tmp/shop_db_mig_XXXXXX";
    path = ::mkdtemp(t);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  void write(const std::string& name, const std::string& text) { std::ofstream(path + "/" + name) << text; }
};

TEST(Pool, TransactCommitsAndRollsBack) {
  auto& pg = pg_server::instance();
  auto dbname = pg.create_database("pool");
  pool db({.url = pg.url(dbname), .size = 2});
  ASSERT_TRUE(db.open().ok());
  ASSERT_TRUE(db.transact([](pqxx::work& tx) -> mq::status {
                  tx.exec("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL CHECK (v >= 0))");
                  return mq::status::success();
                }).ok());
  auto ins = db.transact([](pqxx::work& tx) -> mq::result<int> {
    tx.exec_params("INSERT INTO t VALUES ($1, $2)", 1, 10);
    return tx.exec1("SELECT v FROM t WHERE id = 1")[0].as<int>();
  });
  ASSERT_TRUE(ins) << ins.error().message;
  EXPECT_EQ(*ins, 10);
  // An error result rolls back.
  auto refused = db.transact([](pqxx::work& tx) -> mq::status {
    tx.exec("UPDATE t SET v = 99 WHERE id = 1");
    return mq::status::error(mq::errc::invalid_argument, "business refusal");
  });
  EXPECT_EQ(refused.code, mq::errc::invalid_argument);
  auto v = db.transact([](pqxx::work& tx) -> mq::result<int> { return tx.exec1("SELECT v FROM t")[0].as<int>(); });
  EXPECT_EQ(*v, 10);
  // Constraint violations come back with their SQLSTATE.
  auto dup = db.transact([](pqxx::work& tx) -> mq::status {
    tx.exec_params("INSERT INTO t VALUES ($1, $2)", 1, 5);
    return mq::status::success();
  });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(pool::sqlstate(dup), unique_violation) << dup.message;
  auto neg = db.transact([](pqxx::work& tx) -> mq::status {
    tx.exec("UPDATE t SET v = -1");
    return mq::status::success();
  });
  EXPECT_EQ(pool::sqlstate(neg), check_violation) << neg.message;
  EXPECT_TRUE(db.ping());
  EXPECT_EQ(db.in_use(), 0u);
}

TEST(Pool, SerializationFailuresAreRetried) {
  auto& pg = pg_server::instance();
  auto dbname = pg.create_database("serial");
  pool db({.url = pg.url(dbname), .size = 8, .max_retries = 50});
  ASSERT_TRUE(db.transact([](pqxx::work& tx) -> mq::status {
                  tx.exec("CREATE TABLE c (id int PRIMARY KEY, n int NOT NULL); INSERT INTO c VALUES (1, 0)");
                  return mq::status::success();
                }).ok());
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    ts.emplace_back([&] {
      for (int k = 0; k < 10; ++k) {
        auto st = db.transact([](pqxx::work& tx) -> mq::status {
          tx.exec("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
          int n = tx.exec1("SELECT n FROM c WHERE id = 1")[0].as<int>();  // read-then-write: conflicts
          tx.exec_params("UPDATE c SET n = $1 WHERE id = 1", n + 1);
          return mq::status::success();
        });
        if (st.ok()) ok++;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 80);
  auto n = db.transact([](pqxx::work& tx) -> mq::result<int> { return tx.exec1("SELECT n FROM c")[0].as<int>(); });
  EXPECT_EQ(*n, 80);  // no lost update
}

TEST(Pool, ExhaustionTimesOutAndBadUrlsAreClear) {
  auto& pg = pg_server::instance();
  pool db({.url = pg.url(), .size = 1, .acquire_timeout = 200ms});
  auto first = db.acquire();
  ASSERT_TRUE(first);
  auto second = db.acquire();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, mq::errc::timeout);
  pool bad({.url = "postgresql://nobody@127.0.0.1:1/x", .size = 1});
  auto st = bad.open();
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(bad.ping());
}

TEST(Migrate, AppliesEachFileOnceInOrderAndDetectsEdits) {
  auto& pg = pg_server::instance();
  auto dbname = pg.create_database("mig");
  pg.psql("CREATE SCHEMA goods", dbname);
  temp_dir dir;
  dir.write("001_init.sql", "CREATE TABLE trade_goods (goods_id bigint PRIMARY KEY, n int NOT NULL);");
  dir.write("002_seed.sql", "INSERT INTO trade_goods VALUES (1, 5);");
  dir.write("README.txt", "not a migration");
  pool db({.url = pg.url(dbname), .schema = "goods", .size = 2});
  auto r1 = migrate(db, "goods", dir.path);
  ASSERT_TRUE(r1) << r1.error().message;
  EXPECT_EQ(r1->applied, (std::vector<std::string>{"001_init.sql", "002_seed.sql"}));
  auto r2 = migrate(db, "goods", dir.path);
  ASSERT_TRUE(r2);
  EXPECT_TRUE(r2->applied.empty());
  EXPECT_EQ(r2->skipped.size(), 2u);
  auto n = db.transact([](pqxx::work& tx) -> mq::result<int> {
    return tx.exec1("SELECT count(*) FROM goods.trade_goods")[0].as<int>();
  });
  EXPECT_EQ(*n, 1);  // the seed ran once
  dir.write("003_more.sql", "ALTER TABLE trade_goods ADD COLUMN price numeric(12,2);");
  auto r3 = migrate(db, "goods", dir.path);
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->applied, (std::vector<std::string>{"003_more.sql"}));
  // An applied file that changed is refused, and nothing runs.
  dir.write("002_seed.sql", "INSERT INTO trade_goods VALUES (2, 5);");
  auto r4 = migrate(db, "goods", dir.path);
  ASSERT_FALSE(r4);
  EXPECT_EQ(r4.error().code, mq::errc::corrupt);
  EXPECT_NE(r4.error().message.find("002_seed.sql"), std::string::npos);
  // A failing migration leaves no trace (its own transaction).
  temp_dir bad;
  bad.write("001_bad.sql", "CREATE TABLE x (a int); SELECT * FROM no_such_table;");
  pg.psql("CREATE SCHEMA badschema", dbname);
  pool db2({.url = pg.url(dbname), .schema = "badschema", .size = 1});
  EXPECT_FALSE(migrate(db2, "badschema", bad.path));
  auto tables = db2.transact([](pqxx::work& tx) -> mq::result<int> {
    return tx.exec1("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'badschema' AND table_name = 'x'")[0]
        .as<int>();
  });
  EXPECT_EQ(*tables, 0);
  EXPECT_FALSE(migrate(db, "goods", "/no/such/dir"));
}

}  // namespace
}  // namespace shop::db
