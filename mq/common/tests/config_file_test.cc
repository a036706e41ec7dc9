#include "mq/common/config_file.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdlib.h>

#include <gtest/gtest.h>


namespace mq {
namespace {

struct temp_dir {
  std::string path;
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mqcfg.XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ConfigFile, AtomicWriteKeepsBackupAndNoTemp) {
  temp_dir d;
  std::string p = d.path + "/config/topics.json";
  std::string err;
  ASSERT_TRUE(write_file_atomic(p, "{\"v\":1}", &err)) << err;
  EXPECT_EQ(read_file(p), "{\"v\":1}");
  EXPECT_FALSE(std::filesystem::exists(p + ".bak"));  // nothing to back up yet
  ASSERT_TRUE(write_file_atomic(p, "{\"v\":2}", &err)) << err;
  EXPECT_EQ(read_file(p), "{\"v\":2}");
  EXPECT_EQ(read_file(p + ".bak"), "{\"v\":1}");
  EXPECT_FALSE(std::filesystem::exists(p + ".tmp"));
}

TEST(ConfigFile, ReaderFallsBackToBackupWhenDamagedOrMissing) {
  temp_dir d;
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
}  // namespace mq
