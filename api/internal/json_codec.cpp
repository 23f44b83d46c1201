#include "api/internal/json_codec.h"

#include <algorithm>

#include "api/internal/crypto.h"
#include "core/input_limits.h"
#include "core/time.h"

namespace herald::api::internal {
namespace {

using nlohmann::json;

constexpr size_t kMaxMedia = 4;
constexpr size_t kMaxNote = 2000;

json TimeOrNull(const std::optional<Instant>& t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }

std::string_view TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::discarded: return "nothing";
    default: return "a number";
  }
}

// Collects the errors of one body so a client learns everything at once.
class BodyReader {
 public:
  explicit BodyReader(const json& body) : body_(body) {
    if (!body_.is_object()) Fail("", "expected a JSON object, got " + std::string(TypeName(body_)));
  }

  // Flags every key not in `known`.
  void OnlyFields(std::initializer_list<std::string_view> known) {
    if (!body_.is_object()) return;
    for (const auto& [key, value] : body_.items()) {
      bool ok = false;
      for (auto k : known) ok = ok || k == key;
      if (!ok) {
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        Fail("/" + Escape(key), "unknown field \"" + key + "\"; the fields are " + list);
      }
    }
  }

  const json* Field(std::string_view key) const {
    if (!body_.is_object()) return nullptr;
    auto it = body_.find(key);
    return it == body_.end() ? nullptr : &*it;
  }

  std::optional<std::string> String(const json& v, const std::string& pointer) {
    if (!v.is_string()) {
      Fail(pointer, "expected a string, got " + std::string(TypeName(v)));
      return std::nullopt;
    }
    return v.get<std::string>();
  }

  std::optional<Instant> Time(const json& v, const std::string& pointer) {
    auto s = String(v, pointer);
    if (!s) return std::nullopt;
    auto t = ParseRfc3339(*s);
    if (!t) {
      Fail(pointer, "\"" + *s + "\" is not an RFC 3339 time with an offset; write e.g. 2026-03-10T09:00:00Z or "
                    "2026-03-10T10:00:00+01:00");
      return std::nullopt;
    }
    return *t;
  }

  std::optional<std::vector<std::string>> Labels(const json& v, const std::string& pointer) {
    if (!v.is_array()) {
      Fail(pointer, "expected an array of label strings, got " + std::string(TypeName(v)));
      return std::nullopt;
    }
    if (v.size() > kMaxLabels) {
      Fail(pointer, "at most " + std::to_string(kMaxLabels) + " labels per post, got " + std::to_string(v.size()));
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      auto s = String(v[i], pointer + "/" + std::to_string(i));
      if (!s) continue;
      if (auto problem = LabelProblem(*s)) Fail(pointer + "/" + std::to_string(i), *problem);
      out.push_back(*s);
    }
    return out;
  }

  void Fail(std::string pointer, std::string detail) { errors_.push_back({std::move(pointer), std::move(detail)}); }
  bool ok() const { return errors_.empty(); }
  BodyErrors& errors() { return errors_; }

 private:
  static std::string Escape(const std::string& key) {
    std::string out;
    for (char c : key) {
      if (c == '~') out += "~0";
      else if (c == '/') out += "~1";
      else out.push_back(c);
    }
    return out;
  }

  const json& body_;
  BodyErrors errors_;
};

bool IsPublicUrl(std::string_view url) {
  return (url.starts_with("https://") && url.size() > 8) || (url.starts_with("http://") && url.size() > 7);
}

}  // namespace

json PostToJson(const Post& p) {
  json reasons = ReasonsToJson(p.reasons);
  json media = json::array();
  for (const auto& m : p.media) media.push_back({{"url", m.url}, {"alt", m.alt}});
  auto or_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return {
      {"id", p.id},
      {"account", p.account},
      {"text", p.text},
      {"labels", p.labels},
      {"priority", p.priority == PostPriority::kUrgent ? "urgent" : "normal"},
      {"media", media},
      {"state", std::string(PostStateName(p.state))},
      {"requested_at", FormatRfc3339(p.requested_at)},
      {"planned_at", TimeOrNull(p.planned_at)},
      {"decision", {{"summary", DecisionSummary(p)}, {"reasons", reasons}}},
      {"author", p.author},
      {"approved_by", or_null(p.approved_by)},
      {"remote_id", or_null(p.remote_id)},
      {"remote_url", or_null(p.remote_url)},
      {"published_at", TimeOrNull(p.published_at)},
      {"failure", or_null(p.failure)},
      {"recheck", p.unconfirmed_since ? json{{"unconfirmed_since", FormatRfc3339(*p.unconfirmed_since)},
                                              {"checks", p.rechecks},
                                              {"next_check", TimeOrNull(p.recheck_at)}}
                                        : json(nullptr)},
      {"created_at", FormatRfc3339(p.created_at)},
      {"updated_at", FormatRfc3339(p.updated_at)},
      {"version", p.version},
      {"kind", std::string(PostKindName(p.kind()))},
      {"answers_item", p.answers_item ? json(*p.answers_item) : json(nullptr)},
  };
}

json AuditEntryToJson(const storage::AuditEntry& e) {
  json detail = json::parse(e.detail, nullptr, /*allow_exceptions=*/false);
  if (detail.is_discarded()) detail = e.detail;
  return {
      {"id", e.id},
      {"at", FormatRfc3339(e.at)},
      {"actor", e.actor},
      {"action", e.action},
      {"post", e.post_id ? json(*e.post_id) : json(nullptr)},
      {"detail", detail},
  };
}

namespace {

json ConnectionToJson(const std::optional<runtime::AccountConnection>& c) {
  if (!c) return nullptr;
  json out = {{"state", c->state}, {"expires_at", c->expires_at ? json(FormatRfc3339(*c->expires_at)) : json(nullptr)}};
  if (!c->why.empty()) out["why"] = c->why;
  return out;
}

}  // namespace

json AccountViewToJson(const runtime::AccountView& a) {
  json usage = json::array();
  for (const auto& u : a.usage) usage.push_back({{"rule", u.rule}, {"used", u.used}, {"max", u.max}});
  json by_state = json::object();
  for (const auto& [state, n] : a.posts_by_state) by_state[state] = n;
  json paused = nullptr;
  if (a.paused) {
    paused = {{"rule", a.paused->rule}, {"until", FormatRfc3339(a.paused->until)}, {"why", a.paused->why}};
  }
  return {{"id", a.id},
          {"platform", a.platform},
          {"handle", a.handle},
          {"timezone", a.timezone},
          {"usage", usage},
          {"posts_by_state", by_state},
          {"connector", {{"type", a.connector}, {"breaker", a.breaker}, {"connector_breaker", a.connector_breaker}}},
          {"paused", paused},
          {"connection", ConnectionToJson(a.connection)}};
}

json PolicyViewToJson(const runtime::PolicyView& p) {
  return {{"organization", p.organization},
          {"sha256", p.sha256},
          {"source", p.source},
          {"loaded_at", FormatRfc3339(p.loaded_at)},
          {"last_reload_errors", p.last_reload_errors}};
}

std::string DecisionSummary(const Post& p) {
  auto rules = [&] {
    std::string out;
    for (const auto& r : p.reasons) {
      if (out.find(r.rule) == std::string::npos) out += (out.empty() ? "" : ", ") + r.rule;
    }
    return out;
  };
  if (p.state == PostState::kRefused) {
    return p.reasons.empty() ? "refused" : "refused by " + rules() + ": " + p.reasons.front().detail;
  }
  if (!p.planned_at) return std::string(PostStateName(p.state));
  std::string when = FormatRfc3339(*p.planned_at);
  std::string prefix = p.state == PostState::kPendingApproval ? "would be planned for " : "planned for ";
  if (*p.planned_at <= p.requested_at || p.reasons.empty()) return prefix + when + " as requested";
  return prefix + when + ", " + FormatDuration(*p.planned_at - p.requested_at) + " after the requested time: " +
         rules();
}

Parsed<json> ParseJsonBody(std::string_view body) {
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    // nlohmann's message ends with the useful part after the last ": ".
    auto cut = what.rfind(": ");
    std::string why = cut == std::string::npos ? what : what.substr(cut + 2);
    return std::unexpected(BodyErrors{{"", "malformed JSON at byte " + std::to_string(e.byte) + ": " + why}});
  } catch (const json::exception&) {
    // nlohmann refuses a number beyond a double's range (1e999) as out_of_range.
    return std::unexpected(BodyErrors{{"", "malformed JSON: a number is too large"}});
  }
}

// The `media` field of a post or a reply: [{url, alt}], public URLs only.
static void ReadMedia(BodyReader& r, const json& v, std::vector<Media>& out) {
  if (!v.is_array()) {
    r.Fail("/media", "expected an array of {url, alt}, got " + std::string(TypeName(v)));
    return;
  }
  if (v.size() > kMaxMedia) {
    r.Fail("/media", "at most " + std::to_string(kMaxMedia) + " images per post, got " + std::to_string(v.size()));
  }
  for (size_t i = 0; i < v.size(); ++i) {
    std::string at = "/media/" + std::to_string(i);
    const json& m = v[i];
    if (!m.is_object()) {
      r.Fail(at, "expected an object {url, alt}, got " + std::string(TypeName(m)));
      continue;
    }
    Media media;
    for (const auto& [key, value] : m.items()) {
      if (key == "url") {
        if (auto s = r.String(value, at + "/url")) {
          if (!IsPublicUrl(*s)) r.Fail(at + "/url", "expected a public http(s) image URL");
          media.url = *s;
        }
      } else if (key == "alt") {
        if (auto s = r.String(value, at + "/alt")) media.alt = *s;
      } else {
        r.Fail(at + "/" + key, "unknown field \"" + key + "\"; the fields are url, alt");
      }
    }
    if (!m.contains("url")) r.Fail(at + "/url", "missing \"url\"");
    out.push_back(std::move(media));
  }
}

Parsed<runtime::CreatePostRequest> ParseCreatePost(const json& body) {
  BodyReader r(body);
  r.OnlyFields({"account", "text", "at", "labels", "priority", "media"});
  runtime::CreatePostRequest req;
  if (const json* v = r.Field("account")) {
    if (auto s = r.String(*v, "/account")) {
      if (s->empty()) r.Fail("/account", "account cannot be empty; GET /v1/accounts lists yours");
      req.account = *s;
    }
  } else if (body.is_object()) {
    r.Fail("/account", "missing \"account\": the id of the account to post from (GET /v1/accounts lists them)");
  }
  if (const json* v = r.Field("text")) {
    if (auto s = r.String(*v, "/text")) req.text = *s;
  }
  if (const json* v = r.Field("at"); v && !v->is_null()) req.at = r.Time(*v, "/at");
  if (const json* v = r.Field("labels")) {
    if (auto l = r.Labels(*v, "/labels")) req.labels = *l;
  }
  if (const json* v = r.Field("priority")) {
    if (auto s = r.String(*v, "/priority")) {
      if (*s == "urgent") req.priority = PostPriority::kUrgent;
      else if (*s != "normal") r.Fail("/priority", "priority is \"normal\" or \"urgent\", not \"" + *s + "\"");
    }
  }
  if (const json* v = r.Field("media")) ReadMedia(r, *v, req.media);
  if (!r.ok()) return std::unexpected(std::move(r.errors()));
  return req;
}

Parsed<runtime::EditPostRequest> ParseEditPost(const json& body) {
  BodyReader r(body);
  r.OnlyFields({"text", "at", "labels"});
  runtime::EditPostRequest req;
  if (const json* v = r.Field("text")) req.text = r.String(*v, "/text");
  if (const json* v = r.Field("at")) req.at = r.Time(*v, "/at");
  if (const json* v = r.Field("labels")) req.labels = r.Labels(*v, "/labels");
  if (r.ok() && !req.text && !req.at && !req.labels) r.Fail("", "nothing to change: send text, at or labels");
  if (!r.ok()) return std::unexpected(std::move(r.errors()));
  return req;
}

Parsed<runtime::CreatePostRequest> ParseReply(const json& body) {
  BodyReader r(body);
  r.OnlyFields({"text", "media"});
  runtime::CreatePostRequest req;
  if (const json* v = r.Field("text")) {
    if (auto s = r.String(*v, "/text")) req.text = *s;
  } else if (body.is_object()) {
    r.Fail("/text", "missing \"text\": the reply's text");
  }
  if (const json* v = r.Field("media")) ReadMedia(r, *v, req.media);
  if (!r.ok()) return std::unexpected(std::move(r.errors()));
  return req;
}

Parsed<std::string> ParseNote(const json& body) {
  BodyReader r(body);
  r.OnlyFields({"note"});
  std::string note;
  if (const json* v = r.Field("note"); v && !v->is_null()) {
    if (auto s = r.String(*v, "/note")) {
      if (s->size() > kMaxNote) r.Fail("/note", "notes are at most " + std::to_string(kMaxNote) + " bytes");
      note = *s;
    }
  }
  if (!r.ok()) return std::unexpected(std::move(r.errors()));
  return note;
}

bool ValidIdempotencyKey(std::string_view key, size_t max) {
  return !key.empty() && key.size() <= max &&
         std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string CanonicalHash(const json& body) { return Sha256Hex(body.dump()); }

}  // namespace herald::api::internal
