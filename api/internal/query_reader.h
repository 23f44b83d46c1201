// Query strings and ids in paths, read strictly: unknown parameters are
// errors too, so a misspelt filter does not silently return everything, and
// every problem names its parameter.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/internal/endpoints.h"
#include "core/time.h"

namespace herald::api::internal {

// A positive decimal id of at most 18 digits; nullopt otherwise.
std::optional<int64_t> ParsePositive(std::string_view text);

// Page cursors: opaque to clients, the last id of the page underneath.
std::string EncodeCursor(int64_t last_id);
std::optional<int64_t> DecodeCursor(std::string_view cursor);

class QueryReader {
 public:
  QueryReader(const httplib::Request& request, std::initializer_list<std::string_view> known);

  std::optional<std::string> Get(const std::string& name);
  // `fallback` when absent; a problem (and `fallback`) outside [min, max].
  int Int(const std::string& name, int min, int max, int fallback);
  std::optional<Instant> Time(const std::string& name);
  // The id after which a page starts; 0 without a cursor.
  int64_t Cursor();

  void Fail(const std::string& name, std::string detail);
  // 400 naming every parameter that was wrong, or nullopt.
  std::optional<ApiResponse> Problems() const;

 private:
  const httplib::Request& request_;
  nlohmann::json errors_ = nlohmann::json::array();
  std::string detail_;
};

}  // namespace herald::api::internal
