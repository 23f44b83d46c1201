#include "cli/post_json.h"

#include <nlohmann/json.hpp>

namespace herald::cli {
namespace {

using nlohmann::json;

std::unexpected<Status> FieldError(std::string pointer, std::string message) {
  return InvalidArgument(std::move(message), Where{.path = std::move(pointer)});
}

bool IsHttpUrl(const std::string& s) {
  return (s.starts_with("https://") && s.size() > 8) || (s.starts_with("http://") && s.size() > 7);
}

}  // namespace

Result<SimulatedPost> ParseSimulatedPost(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("not valid JSON; each line must be one JSON object");
  if (!j.is_object()) return InvalidArgument("not a JSON object; each line must be one JSON object");

  static const char* const kFields[] = {"id", "account", "text", "at", "labels", "priority", "media"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(std::begin(kFields), std::end(kFields), it.key()) == std::end(kFields)) {
      return FieldError("/" + it.key(), "unknown field \"" + it.key() +
                                            "\"; expected id, account, text, at, labels, priority, media");
    }
  }

  SimulatedPost post;
  if (!j.contains("id")) return FieldError("/id", "missing; every post needs an id");
  const json& id = j["id"];
  if (id.is_string() && !id.get<std::string>().empty()) {
    post.request.id = id.get<std::string>();
  } else if (id.is_number_integer()) {
    post.request.id = std::to_string(id.get<long long>());
  } else {
    return FieldError("/id", "must be a non-empty string or an integer");
  }
  post.id_is_number = id.is_number_integer();

  auto required_string = [&](const char* key, std::string& out) -> Result<void> {
    if (!j.contains(key)) return FieldError(std::string("/") + key, "missing");
    if (!j[key].is_string()) return FieldError(std::string("/") + key, "must be a string");
    out = j[key].get<std::string>();
    return {};
  };
  if (auto r = required_string("account", post.account); !r) return std::unexpected(r.error());
  if (auto r = required_string("text", post.request.text); !r) return std::unexpected(r.error());
  std::string at;
  if (auto r = required_string("at", at); !r) return std::unexpected(r.error());
  auto when = ParseRfc3339(at);
  if (!when) return FieldError("/at", when.error().message());
  post.request.requested_at = *when;

  if (j.contains("labels")) {
    const json& labels = j["labels"];
    if (!labels.is_array()) return FieldError("/labels", "must be an array of strings");
    for (size_t i = 0; i < labels.size(); ++i) {
      if (!labels[i].is_string() || labels[i].get<std::string>().empty()) {
        return FieldError("/labels/" + std::to_string(i), "must be a non-empty string");
      }
      post.request.labels.push_back(labels[i].get<std::string>());
    }
  }
  if (j.contains("priority")) {
    const json& p = j["priority"];
    if (p == "urgent") post.request.priority = scheduler::Priority::kUrgent;
    else if (p == "normal") post.request.priority = scheduler::Priority::kNormal;
    else return FieldError("/priority", "must be \"normal\" or \"urgent\"");
  }
  if (j.contains("media")) {
    const json& media = j["media"];
    if (!media.is_array()) return FieldError("/media", "must be an array of {url, alt}");
    if (media.size() > 4) return FieldError("/media", "at most 4 images per post");
    for (size_t i = 0; i < media.size(); ++i) {
      const std::string ptr = "/media/" + std::to_string(i);
      const json& m = media[i];
      if (!m.is_object()) return FieldError(ptr, "must be an object {url, alt}");
      for (auto it = m.begin(); it != m.end(); ++it) {
        if (it.key() != "url" && it.key() != "alt") return FieldError(ptr + "/" + it.key(), "unknown field; expected url, alt");
      }
      if (!m.contains("url") || !m["url"].is_string() || !IsHttpUrl(m["url"].get<std::string>())) {
        return FieldError(ptr + "/url", "must be a public http(s) URL");
      }
      if (!m.contains("alt") || !m["alt"].is_string()) return FieldError(ptr + "/alt", "must be a string (the image's description)");
      post.media.push_back({m["url"].get<std::string>(), m["alt"].get<std::string>()});
    }
    post.request.media_count = static_cast<int>(media.size());
  }
  return post;
}

std::string ParseIdOnly(std::string_view line) {
  json j = json::parse(line, nullptr, false);
  if (j.is_object() && j.contains("id") && (j["id"].is_string() || j["id"].is_number_integer())) return j["id"].dump();
  return "null";
}

}  // namespace herald::cli
