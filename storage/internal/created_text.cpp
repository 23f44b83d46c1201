#include "storage/internal/created_text.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "storage/internal/packed_json.h"
#include "storage/internal/rows.h"

namespace herald::storage::internal {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Status Unreadable(std::string_view why) {
  return Status(Code::kInternal, "a create audit entry's stored detail " + std::string(why));
}

// The posts row's reasons column as a packed create entry holds them:
// [rule, detail, posts] arrays.
Result<json> PackedReasons(const std::string& column) {
  Post post;
  if (Status s = ReadJsonColumns("[]", "[]", column, post); !s.ok()) return std::unexpected(s);
  json out = json::array();
  for (const StoredReason& r : post.reasons) out.push_back(json::array({r.rule, r.detail, r.posts}));
  return out;
}

// `rest` (a packed object after its "~1", without "x" and maybe "r") with the
// post's members put back, unpacked.
Result<std::string> WithMembers(std::string_view rest, std::string_view organization, std::string_view text,
                                const std::optional<std::string>& reasons) {
  json packed = json::parse(rest, nullptr, false);
  if (packed.is_discarded() || !packed.is_object()) return std::unexpected(Unreadable("is not an object"));
  packed["x"] = std::string(text);
  if (reasons) {
    auto r = PackedReasons(*reasons);
    if (!r) return std::unexpected(r.error());
    packed["r"] = std::move(*r);
  }
  return UnpackJson(std::string(kPackedPrefix) + Dump(packed), organization);
}

// Takes "<n>:" and the n bytes after it off the front of `rest`.
Result<std::string_view> TakeCounted(std::string_view& rest) {
  size_t length = 0;
  auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), length);
  size_t digits = static_cast<size_t>(end - rest.data());
  if (error != std::errc() || digits >= rest.size() || rest[digits] != ':' || rest.size() - digits - 1 < length) {
    return std::unexpected(Unreadable("is cut short"));
  }
  std::string_view value = rest.substr(digits + 1, length);
  rest.remove_prefix(digits + 1 + length);
  return value;
}

}  // namespace

std::string PackCreateDetail(std::string_view detail, std::string_view organization, std::string_view post_text,
                             std::string_view post_reasons) {
  return PackCreateDetailFrom(PackJson(detail, organization), detail, organization, post_text, post_reasons);
}

std::string PackCreateDetailFrom(std::string_view packed_form, std::string_view detail, std::string_view organization,
                                 std::string_view post_text, std::string_view post_reasons) {
  std::string packed(packed_form);
  if (!packed.starts_with(kPackedPrefix)) return packed;
  // Left out after packing, so that the summary is still kept as its first words.
  json j = json::parse(std::string_view(packed).substr(kPackedPrefix.size()), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("x") || j["x"] != post_text) return packed;
  j.erase("x");
  std::optional<std::string> reasons;
  if (j.contains("r")) {
    auto same = PackedReasons(std::string(post_reasons));
    if (same && j["r"] == *same) {
      j.erase("r");
      reasons = std::string(post_reasons);
    }
  }
  std::string stored = std::string(reasons ? kTextAndReasonsOfPostPrefix : kTextOfPostPrefix) + Dump(j);
  auto back = UnpackDetail(stored, organization, std::string(post_text), reasons);
  if (!back || *back != detail) return packed;
  return stored;
}

Result<std::string> UnpackDetail(std::string_view stored, std::string_view organization,
                                 const std::optional<std::string>& post_text,
                                 const std::optional<std::string>& post_reasons) {
  const bool both = stored.starts_with(kTextAndReasonsOfPostPrefix);
  if (stored.starts_with(kTextOfPostPrefix) || both) {
    if (!post_text || (both && !post_reasons)) {
      return std::unexpected(Unreadable("takes its text from a post that is gone"));
    }
    return WithMembers(stored.substr(2), organization, *post_text, both ? post_reasons : std::nullopt);
  }
  const bool kept_both = stored.starts_with(kTextAndReasonsKeptPrefix);
  if (stored.starts_with(kTextKeptPrefix) || kept_both) {
    std::string_view rest = stored.substr(2);
    auto text = TakeCounted(rest);
    if (!text) return std::unexpected(text.error());
    std::optional<std::string> reasons;
    if (kept_both) {
      auto r = TakeCounted(rest);
      if (!r) return std::unexpected(r.error());
      reasons = std::string(*r);
    }
    return WithMembers(rest, organization, *text, reasons);
  }
  return UnpackJson(stored, organization);
}

}  // namespace herald::storage::internal
