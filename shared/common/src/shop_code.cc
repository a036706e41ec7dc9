#include "shop/common/shop_code.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace shop {

const std::vector<shop_code_info>& all_shop_codes() {
  static const std::vector<shop_code_info> all = {
#define SHOP_CODE_INFO(name, num, http, msg) {shop_code::name, num, http, #name, msg},
      SHOP_CODES(SHOP_CODE_INFO)
#undef SHOP_CODE_INFO
  };
  return all;
}

const shop_code_info& info(shop_code c) {
  for (auto& i : all_shop_codes())
    if (i.code == c) return i;
  return all_shop_codes()[1];  // SHOP_FAIL; unreachable for declared codes
}

std::string result_json(shop_code c, const nlohmann::json& data, std::string_view message) {
  auto& i = info(c);
  nlohmann::json j = {{"success", c == shop_code::SHOP_SUCCESS},
                      {"code", i.number},
                      {"message", message.empty() ? std::string(i.message) : std::string(message)},
                      {"data", data}};
  return j.dump();
}

std::string result_json(shop_code c) { return result_json(c, nullptr); }

}  // namespace shop
