// Reading a count out of a platform's JSON answer: a non-negative whole
// number, or nothing (absent, null, negative, a string, a float: the platform
// did not report a usable count, which is "not available", never 0).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace herald::connectors::internal {

inline std::optional<int64_t> JsonCount(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned()) {
    auto v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  auto v = it->get<int64_t>();
  if (v < 0) return std::nullopt;
  return v;
}

}  // namespace herald::connectors::internal
