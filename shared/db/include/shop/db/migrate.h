// Schema migrations: the files `<dir>/*.sql`, applied in name order, each
// once, each in its own transaction together with its row in
// `<schema>.schema_migrations (version text primary key, checksum text,
// applied_at timestamptz)`; the version is "<dir name>/<file name>", so a
// service applies sql/common/ and then sql/<service>/ into its schema. A file already applied whose content changed
// is an error (never silently re-run or skipped); concurrent migrators are
// serialized by an advisory lock on the schema name.
#pragma once

#include <string>
#include <vector>

#include "mq/common/result.h"
#include "shop/db/pool.h"

namespace shop::db {

struct migration_report {
  std::vector<std::string> applied;  // file names applied now
  std::vector<std::string> skipped;  // already applied before
};

// `schema` must exist (the deploy script creates it with its owner role).
mq::result<migration_report> migrate(pool& db, const std::string& schema, const std::string& dir);

// FNV-1a 64 of the file text, as 16 hex digits.
std::string migration_checksum(const std::string& text);

}  // namespace shop::db
