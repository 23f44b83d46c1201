#include "api/internal/console_files.h"

namespace herald::api::internal {
namespace {

// Everything the console needs comes from this origin; nothing inline runs,
// nothing may frame it, and forms cannot post anywhere.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

std::optional<ApiResponse> ConsoleFile(std::string_view path, std::string_view if_none_match) {
  if (path == "/index.html") path = "/";
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    if (asset.path != path) continue;
    ApiResponse r;
    r.content_type = std::string(asset.content_type);
    r.headers = {
        {"Content-Security-Policy", std::string(kContentSecurityPolicy)},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        // Revalidate every time: the ETag makes that a 304 without a body, and
        // a new binary's files are seen at once.
        {"Cache-Control", "no-cache"},
        {"ETag", std::string(asset.etag)},
    };
    bool fresh = !if_none_match.empty() &&
                 (if_none_match == asset.etag || if_none_match == "W/" + std::string(asset.etag));
    if (fresh) {
      r.status = 304;
    } else {
      r.body = std::string(asset.body);
    }
    return r;
  }
  return std::nullopt;
}

}  // namespace herald::api::internal
