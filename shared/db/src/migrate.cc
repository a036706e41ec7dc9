#include "shop/db/migrate.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

namespace shop::db {

std::string migration_checksum(const std::string& text) { return text_hash(text); }

mq::result<migration_report> migrate(pool& db, const std::string& schema, const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return mq::status::error(mq::errc::not_found, "migration directory " + dir + " does not exist");
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".sql") files.push_back(e.path());
  std::sort(files.begin(), files.end());

  auto setup = db.transact([&](pqxx::work& tx) -> mq::status {
    tx.exec("CREATE TABLE IF NOT EXISTS " + tx.quote_name(schema) +
            ".schema_migrations (version text PRIMARY KEY, checksum text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())");
    return mq::status::success();
  });
  if (!setup.ok()) return setup;

  // Versions are "<directory name>/<file name>", so a service can apply a
  // common directory and its own without name clashes.
  std::string prefix = std::filesystem::path(dir).lexically_normal().filename().string();
  if (prefix.empty()) prefix = std::filesystem::path(dir).lexically_normal().parent_path().filename().string();
  migration_report report;
  for (auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str(), name = f.filename().string(), version = prefix + "/" + name,
                sum = migration_checksum(text);
    auto st = db.transact([&](pqxx::work& tx) -> mq::status {
      // One migrator at a time per schema (the lock ends with the transaction).
      db::exec(tx, "SELECT pg_advisory_xact_lock(hashtext($1))", "migrate:" + schema);
      auto existing = db::exec(tx, "SELECT checksum FROM " + tx.quote_name(schema) +
                                         ".schema_migrations WHERE version = $1",
                                     version);
      if (!existing.empty()) {
        if (existing[0][0].as<std::string>() != sum)
          return mq::status::error(mq::errc::corrupt, "migration " + name + " of schema " + schema +
                                                          " changed after it was applied (checksum " +
                                                          existing[0][0].as<std::string>() + " → " + sum + ")");
        report.skipped.push_back(name);
        return mq::status::success();
      }
      tx.exec("SET LOCAL search_path TO " + tx.quote_name(schema));
      tx.exec(text);
      db::exec(tx, "INSERT INTO " + tx.quote_name(schema) + ".schema_migrations (version, checksum) VALUES ($1, $2)",
                     version, sum);
      report.applied.push_back(name);
      return mq::status::success();
    });
    if (!st.ok()) return mq::status::error(st.code, "migration " + name + ": " + st.message);
  }
  spdlog::info("schema {}: {} migration(s) applied, {} already present", schema, report.applied.size(),
               report.skipped.size());
  return report;
}

}  // namespace shop::db
