#include "storage/internal/created_text.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "storage/internal/packed_json.h"

namespace herald::storage::internal {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// `body` is a packed object without its text (a "~2" detail's rest).
Result<std::string> WithText(std::string_view body, std::string_view organization, std::string_view text) {
  json j = json::parse(UnpackJson(std::string(kPackedPrefix) + std::string(body), organization), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return std::unexpected(Status(Code::kInternal, "a create audit entry's stored detail cannot be read"));
  }
  j["text"] = std::string(text);
  return Dump(j);
}

}  // namespace

std::string PackCreateDetail(std::string_view detail, std::string_view organization, std::string_view post_text) {
  json j = json::parse(detail, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("text") || j["text"] != post_text) {
    return PackJson(detail, organization);
  }
  j.erase("text");
  std::string rest = PackJson(Dump(j), organization);
  if (!rest.starts_with(kPackedPrefix)) return PackJson(detail, organization);
  std::string stored = std::string(kTextOfPostPrefix) + rest.substr(kPackedPrefix.size());
  auto back = UnpackDetail(stored, organization, std::string(post_text));
  if (!back || *back != detail) return PackJson(detail, organization);
  return stored;
}

bool NeedsPostText(std::string_view stored) { return stored.starts_with(kTextOfPostPrefix); }

Result<std::string> UnpackDetail(std::string_view stored, std::string_view organization,
                                 const std::optional<std::string>& post_text) {
  if (stored.starts_with(kTextOfPostPrefix)) {
    if (!post_text) {
      return std::unexpected(Status(Code::kInternal, "a create audit entry takes its text from a post that is gone"));
    }
    return WithText(stored.substr(kTextOfPostPrefix.size()), organization, *post_text);
  }
  if (stored.starts_with(kTextKeptPrefix)) {
    std::string_view rest = stored.substr(kTextKeptPrefix.size());
    size_t length = 0;
    auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), length);
    size_t digits = static_cast<size_t>(end - rest.data());
    if (error != std::errc() || digits >= rest.size() || rest[digits] != ':' ||
        rest.size() - digits - 1 < length) {
      return std::unexpected(Status(Code::kInternal, "a create audit entry's kept text is cut short"));
    }
    std::string_view text = rest.substr(digits + 1, length);
    return WithText(rest.substr(digits + 1 + length), organization, text);
  }
  return UnpackJson(stored, organization);
}

}  // namespace herald::storage::internal
