#include "mq/store/config_file.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "test_util.h"

namespace mq::store {
namespace {

TEST(ConfigFile, AtomicWriteKeepsBackupAndNoTemp) {
  test::temp_dir d;
  std::string p = d.path + "/config/topics.json";
  std::string err;
  ASSERT_TRUE(write_file_atomic(p, "{\"v\":1}", &err)) << err;
  EXPECT_EQ(test::read_file(p), "{\"v\":1}");
  EXPECT_FALSE(std::filesystem::exists(p + ".bak"));  // nothing to back up yet
  ASSERT_TRUE(write_file_atomic(p, "{\"v\":2}", &err)) << err;
  EXPECT_EQ(test::read_file(p), "{\"v\":2}");
  EXPECT_EQ(test::read_file(p + ".bak"), "{\"v\":1}");
  EXPECT_FALSE(std::filesystem::exists(p + ".tmp"));
}

TEST(ConfigFile, ReaderFallsBackToBackupWhenDamagedOrMissing) {
  test::temp_dir d;
  std::string p = d.path + "/offsets.json";
  std::string err;
  ASSERT_TRUE(write_file_atomic(p, "{\"good\":1}", &err));
  ASSERT_TRUE(write_file_atomic(p, "{\"good\":2}", &err));
  auto is_json_object = [](const std::string& s) { return s.front() == '{' && s.back() == '}'; };
  EXPECT_EQ(*read_config_file(p, is_json_object), "{\"good\":2}");
  std::ofstream(p, std::ios::trunc) << "{\"torn";  // damaged main file
  EXPECT_EQ(*read_config_file(p, is_json_object), "{\"good\":1}");
  std::filesystem::remove(p);
  EXPECT_EQ(*read_config_file(p, is_json_object), "{\"good\":1}");
  std::filesystem::remove(p + ".bak");
  EXPECT_FALSE(read_config_file(p, is_json_object));
}

TEST(ConfigFile, UnwritableDirectoryIsAnErrorNotACrash) {
  std::string err;
  EXPECT_FALSE(write_file_atomic("/proc/definitely/not/writable.json", "x", &err));
  EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace mq::store
