#include "tests/connectors/fakes/mastodon_fake.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace herald::testing {
namespace {

using nlohmann::json;

void Answer(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

const std::string& MastodonFake::ImageBytes() {
  static const std::string bytes = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, '\x01');
  return bytes;
}

MastodonFake::MastodonFake(std::string token) : token_(std::move(token)) {
  ServeOAuth(fake_.server());
  reset_ = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + std::chrono::minutes{5};
  auto& s = fake_.server();

  s.Get(R"(/images/(.+))", [](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] == "missing.png") {
      res.status = 404;
      res.set_content("not found", "text/plain");
      return;
    }
    res.set_content(ImageBytes(), "image/png");
  });

  s.Post("/api/v2/media", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    RateLimitHeaders(res);
    if (!Authorized(req, res)) return;
    if (!req.has_file("file")) return Answer(res, 422, {{"error", "Validation failed: File can't be blank"}});
    auto file = req.get_file_value("file");
    Upload u{std::to_string(110000000000000000LL + uploads_.size() + 1), req.has_file("description") ? req.get_file_value("description").content : "",
             file.filename, file.content_type, file.content};
    uploads_.push_back(u);
    bool processing = processing_polls_ > 0;
    if (processing) pending_[u.id] = processing_polls_;
    json attachment = {{"id", u.id}, {"type", "image"}, {"description", u.description},
                       {"preview_url", base_url() + "/system/small/" + u.id + ".png"},
                       {"url", processing ? json(nullptr) : json(base_url() + "/system/original/" + u.id + ".png")}};
    Answer(res, processing ? 202 : 200, attachment);
  });

  s.Get(R"(/api/v1/media/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    RateLimitHeaders(res);
    if (!Authorized(req, res)) return;
    std::string id = req.matches[1];
    auto it = pending_.find(id);
    if (it != pending_.end() && it->second-- > 0) return Answer(res, 206, {{"id", id}, {"url", nullptr}});
    pending_.erase(id);
    Answer(res, 200, {{"id", id}, {"url", base_url() + "/system/original/" + id + ".png"}});
  });

  s.Post("/api/v1/statuses", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    RateLimitHeaders(res);
    if (!Authorized(req, res)) return;
    std::string text;
    std::string in_reply_to_id;
    std::vector<std::string> media_ids;
    if (req.get_header_value("Content-Type").starts_with("application/json")) {
      json body = json::parse(req.body, nullptr, false);
      if (body.is_object()) {
        text = body.value("status", "");
        in_reply_to_id = body.value("in_reply_to_id", "");
        if (body.contains("media_ids")) media_ids = body["media_ids"].get<std::vector<std::string>>();
      }
    } else {
      text = req.get_param_value("status");
      in_reply_to_id = req.get_param_value("in_reply_to_id");
      for (size_t i = 0; i < req.get_param_value_count("media_ids[]"); ++i)
        media_ids.push_back(req.get_param_value("media_ids[]", i));
    }
    std::string key = req.get_header_value("Idempotency-Key");
    if (!key.empty()) {
      if (auto it = by_key_.find(key); it != by_key_.end()) {
        const Status& st = statuses_[it->second];
        return Answer(res, 200, {{"id", st.id}, {"url", st.url}, {"content", "<p>" + st.text + "</p>"}});
      }
    }
    if (text.empty() && media_ids.empty()) return Answer(res, 422, {{"error", "Validation failed: Text can't be blank"}});
    if (CodePoints(text) > 500) {
      return Answer(res, 422, {{"error", "Validation failed: Text character limit of 500 exceeded"}});
    }
    json attachments = json::array();
    for (const auto& id : media_ids) {
      if (pending_.count(id)) {
        return Answer(res, 422, {{"error", "Cannot attach files that have not finished processing. Try again in a moment!"}});
      }
      bool known = false;
      for (const auto& u : uploads_) known = known || u.id == id;
      if (!known) return Answer(res, 422, {{"error", "Validation failed: Media attachments are invalid"}});
      attachments.push_back({{"id", id}, {"type", "image"}});
    }
    Status st{std::to_string(109000000000000000LL + statuses_.size() + 1), text, key, media_ids, "", in_reply_to_id};
    st.url = base_url() + "/@herald/" + st.id;
    statuses_.push_back(st);
    if (!key.empty()) by_key_[key] = statuses_.size() - 1;
    Answer(res, 200, {{"id", st.id}, {"uri", base_url() + "/users/herald/statuses/" + st.id}, {"url", st.url},
                      {"content", "<p>" + text + "</p>"}, {"visibility", "public"}, {"media_attachments", attachments}});
  });
  s.Get(R"(/api/v1/statuses/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    RateLimitHeaders(res);
    if (!Authorized(req, res)) return;
    std::string id = req.matches[1];
    const Status* found = nullptr;
    for (const auto& st : statuses_) found = st.id == id ? &st : found;
    if (found == nullptr || deleted_.count(id)) return Answer(res, 404, {{"error", "Record not found"}});
    json status = {{"id", found->id}, {"url", found->url}, {"content", "<p>" + found->text + "</p>"},
                   {"in_reply_to_id", found->in_reply_to_id.empty() ? json(nullptr) : json(found->in_reply_to_id)},
                   {"replies_count", 0}, {"reblogs_count", 0}, {"favourites_count", 0}, {"bookmarked", false}};
    for (const auto& [field, n] : counts_[id]) status[field] = n;
    Answer(res, 200, status);
  });
  s.Get("/api/v1/notifications", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    ++notification_reads_;
    // A refused read carries only its own limit headers (set once: a second
    // set_header would add a second value, and the first would be read).
    if (notification_failures_ > 0) {
      --notification_failures_;
      std::string reset = FormatRfc3339(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
                                        notification_retry_);
      res.set_header("X-RateLimit-Remaining", "0");
      res.set_header("X-RateLimit-Reset", reset);
      res.set_header("X-RateLimit-Limit", "300");
      return Answer(res, 429, {{"error", "Too many requests"}});
    }
    RateLimitHeaders(res);
    if (!Authorized(req, res)) return;
    bool mentions = req.get_param_value_count("types[]") == 0;
    for (size_t i = 0; i < req.get_param_value_count("types[]"); ++i)
      mentions = mentions || req.get_param_value("types[]", i) == "mention";
    auto number = [&](const char* name) -> int64_t {
      if (!req.has_param(name)) return -1;
      try {
        return std::stoll(req.get_param_value(name));
      } catch (...) {
        return -1;
      }
    };
    int64_t limit = req.has_param("limit") ? std::clamp<int64_t>(number("limit"), 1, 80) : 40;
    int64_t min_id = number("min_id"), since_id = number("since_id"), max_id = number("max_id");
    std::vector<const Notification*> matching;
    for (const auto& n : notifications_) {
      if (!mentions) break;
      if (min_id >= 0 && n.id <= min_id) continue;
      if (since_id >= 0 && n.id <= since_id) continue;
      if (max_id >= 0 && n.id >= max_id) continue;
      matching.push_back(&n);
    }
    // min_id: the page just after it; otherwise the newest page.
    if (static_cast<int64_t>(matching.size()) > limit) {
      if (min_id >= 0) matching.resize(limit);
      else matching.erase(matching.begin(), matching.end() - limit);
    }
    json page = json::array();
    for (auto it = matching.rbegin(); it != matching.rend(); ++it) {
      const Notification& n = **it;
      const Mention& m = n.mention;
      json account = {{"id", "1"}, {"acct", m.author}, {"display_name", m.display_name}};
      json status = {{"id", n.status_id}, {"created_at", FormatRfc3339(n.at)}, {"content", m.html},
                     {"language", m.language.empty() ? json(nullptr) : json(m.language)},
                     {"in_reply_to_id", m.in_reply_to_id.empty() ? json(nullptr) : json(m.in_reply_to_id)},
                     {"url", base_url() + "/@" + m.author + "/" + n.status_id}, {"account", account}};
      page.push_back({{"id", std::to_string(n.id)}, {"type", "mention"}, {"created_at", FormatRfc3339(n.at)},
                      {"account", account}, {"status", status}});
    }
    if (!matching.empty()) {
      std::string link = "<" + base_url() + "/api/v1/notifications?max_id=" + std::to_string(matching.front()->id) +
                         ">; rel=\"next\", <" + base_url() + "/api/v1/notifications?min_id=" +
                         std::to_string(matching.back()->id) + ">; rel=\"prev\"";
      res.set_header("Link", link);
    }
    Answer(res, 200, page);
  });
  fake_.Start();
}

std::string MastodonFake::AddMention(const Mention& mention) {
  std::lock_guard lock(mu_);
  Notification n;
  n.id = 300000 + static_cast<int64_t>(notifications_.size()) + 1;
  n.status_id = std::to_string(111000000000000000LL + static_cast<int64_t>(notifications_.size()) + 1);
  n.mention = mention;
  n.at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  notifications_.push_back(std::move(n));
  return notifications_.back().status_id;
}

void MastodonFake::FailNotificationReads(int count, std::chrono::seconds retry_in) {
  std::lock_guard lock(mu_);
  notification_failures_ = count;
  notification_retry_ = retry_in;
}

int MastodonFake::NotificationReads() const {
  std::lock_guard lock(mu_);
  return notification_reads_;
}

void MastodonFake::SetCounts(const std::string& id, int replies, int reblogs, int favourites, std::optional<int> quotes) {
  std::lock_guard lock(mu_);
  auto& c = counts_[id];
  c["replies_count"] = replies;
  c["reblogs_count"] = reblogs;
  c["favourites_count"] = favourites;
  if (quotes) c["quotes_count"] = *quotes;
}

void MastodonFake::Delete(const std::string& id) {
  std::lock_guard lock(mu_);
  deleted_.insert(id);
}

bool MastodonFake::Authorized(const httplib::Request& req, httplib::Response& res) const {
  std::string bearer = req.get_header_value("Authorization");
  if (bearer == "Bearer " + token_) return true;
  std::string refusal = "The access token is invalid";
  if (bearer.starts_with("Bearer ") && OAuthAccepts(bearer.substr(7), refusal)) return true;
  Answer(res, 401, {{"error", refusal}});
  return false;
}

void MastodonFake::RateLimitHeaders(httplib::Response& res) {
  if (remaining_ > 0) --remaining_;
  std::string reset = FormatRfc3339(reset_);
  reset.insert(reset.size() - 1, ".000000");  // Ruby iso8601(6)
  res.set_header("X-RateLimit-Limit", "300");
  res.set_header("X-RateLimit-Remaining", std::to_string(remaining_));
  res.set_header("X-RateLimit-Reset", reset);
}

void MastodonFake::set_rate_limit(int remaining, Instant reset) {
  std::lock_guard lock(mu_);
  remaining_ = remaining + 1;  // the next answer reports `remaining`
  reset_ = reset;
}

void MastodonFake::set_media_processing(int polls) {
  std::lock_guard lock(mu_);
  processing_polls_ = polls;
}

std::vector<MastodonFake::Status> MastodonFake::Statuses() const {
  std::lock_guard lock(mu_);
  return statuses_;
}

std::vector<MastodonFake::Upload> MastodonFake::Uploads() const {
  std::lock_guard lock(mu_);
  return uploads_;
}

}  // namespace herald::testing
