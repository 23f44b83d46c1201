// The web console's files (api/console/), compiled into the binary by CMake
// and served by HttpServer at / and /console/. Pure and thread-safe: the
// files are constant.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "api/internal/endpoints.h"

namespace herald::api::internal {

// One embedded file; `etag` is a quoted hash of its bytes.
struct ConsoleAsset {
  std::string_view path;  // "/console/app.js"; the page itself is "/"
  std::string_view content_type;
  std::string_view etag;
  std::string_view body;
};

// Every embedded file (generated at build time).
std::span<const ConsoleAsset> ConsoleAssets();

// The answer for a console path, or nullopt when `path` is not one: the file
// with its security and cache headers, or 304 when `if_none_match` names its
// ETag.
std::optional<ApiResponse> ConsoleFile(std::string_view path, std::string_view if_none_match);

}  // namespace herald::api::internal
