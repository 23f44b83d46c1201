#include "tests/connectors/fakes/x_fake.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace herald::testing {
namespace {
using json = nlohmann::json;

void Problem(httplib::Response& res, int status, const std::string& title, const std::string& detail,
             const std::string& type = "about:blank") {
  res.status = status;
  res.set_content(json{{"title", title}, {"detail", detail}, {"type", type}, {"status", status}}.dump(), "application/json");
}

int64_t Epoch(Instant t) { return t.time_since_epoch().count(); }

void InvalidRequest(httplib::Response& res, const std::string& detail) {
  Problem(res, 400, "Invalid Request", detail, "https://api.twitter.com/2/problems/invalid-request");
}

std::optional<std::string> Base64Decode(const std::string& in) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : in) {
    if (c == '=') break;
    auto at = kAlphabet.find(c);
    if (at == std::string::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(at);
    if ((count += 6) >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
}  // namespace

std::string XFake::ImageBytes(const std::string& name) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + "x-image:" + name + std::string(32, '\x02');
}

XFake::XFake(std::string token, std::string user_id, std::string username)
    : token_(std::move(token)), user_id_(std::move(user_id)), username_(std::move(username)),
      now_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())) {
  auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
    std::string header = req.get_header_value("Authorization");
    std::function<bool(const std::string&)> valid;
    {
      std::lock_guard lock(mu_);
      valid = valid_token_;
    }
    if (valid ? header.starts_with("Bearer ") && valid(header.substr(7)) : header == "Bearer " + token_) return true;
    Problem(res, 401, "Unauthorized", "Unauthorized");
    return false;
  };
  server_.server().Post("/2/tweets", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    auto body = json::parse(req.body, nullptr, false);
    std::vector<std::string> media_ids;
    if (body.is_object() && body.contains("media")) {
      const json& media = body["media"];
      if (!media.is_object() || !media.value("media_ids", json()).is_array() || media["media_ids"].empty() ||
          media["media_ids"].size() > 4)
        return InvalidRequest(res, "The `media.media_ids` field must hold 1 to 4 media ids.");
      std::lock_guard lock(mu_);
      for (const auto& id : media["media_ids"]) {
        bool known = false;
        for (const auto& u : uploads_) known = known || (id.is_string() && u.id == id.get<std::string>());
        if (!known) return InvalidRequest(res, "Your media IDs are invalid.");
        media_ids.push_back(id.get<std::string>());
      }
    }
    // Text is required unless the post carries media.
    if (!body.is_object() || (body.contains("text") && !body["text"].is_string()) ||
        (media_ids.empty() && body.value("text", std::string()).empty()))
      return InvalidRequest(res, "One or more parameters to your request was invalid.");
    std::string text = body.value("text", std::string());
    size_t points = 0;
    for (unsigned char c : text)
      if ((c & 0xC0) != 0x80) ++points;
    if (points > 280)
      return Problem(res, 400, "Bad Request",
                     "Your Tweet text is too long. For more information on how X determines text length see "
                     "https://github.com/twitter/twitter-text.");
    std::lock_guard lock(mu_);
    std::string in_reply_to;
    if (body.contains("reply")) {
      const json& reply = body["reply"];
      if (!reply.is_object() || !reply.value("in_reply_to_tweet_id", json()).is_string())
        return InvalidRequest(res, "The `reply.in_reply_to_tweet_id` field must be a post id.");
      in_reply_to = reply["in_reply_to_tweet_id"];
      bool known = false;
      for (const auto& p : posts_) known = known || p.id == in_reply_to;
      for (const auto& m : mentions_) known = known || m.id == in_reply_to;
      if (!known) return InvalidRequest(res, "The post you are replying to does not exist or is not visible to you.");
    }
    int remaining = day_limit_ - day_used_ - 1;
    auto limits = [&](int left) {
      res.set_header("x-rate-limit-limit", "100");
      res.set_header("x-rate-limit-remaining", std::to_string(std::max(0, 99 - day_used_)));
      res.set_header("x-rate-limit-reset", std::to_string(Epoch(now_ + std::chrono::minutes{15})));
      res.set_header("x-user-limit-24hour-limit", std::to_string(day_limit_));
      res.set_header("x-user-limit-24hour-remaining", std::to_string(std::max(0, left)));
      res.set_header("x-user-limit-24hour-reset", std::to_string(Epoch(now_ + std::chrono::hours{24})));
    };
    if (remaining < 0) {
      limits(0);
      res.status = 429;
      return res.set_content(R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
                             "application/json");
    }
    std::string stored = Stored(text);
    if (!media_ids.empty()) stored += (stored.empty() ? "" : " ") + std::string("https://t.co/MeDiA0") + std::to_string(posts_.size());
    for (const auto& p : posts_)
      if (p.text == stored)
        return Problem(res, 403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.");
    ++day_used_;
    limits(remaining);
    std::string bearer = req.get_header_value("Authorization");
    Post p{std::to_string(next_id_++), stored, FormatRfc3339(now_), media_ids,
           bearer.starts_with("Bearer ") ? bearer.substr(7) : "", in_reply_to};
    posts_.push_back(p);
    res.status = 201;
    res.set_content(json{{"data", {{"id", p.id}, {"text", p.text}, {"edit_history_tweet_ids", {p.id}}}}}.dump(),
                    "application/json");
  });
  server_.server().Post("/2/media/upload", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    Upload u;
    if (req.is_multipart_form_data()) {
      if (!req.has_file("media")) return InvalidRequest(res, "The `media` field is required.");
      auto media = req.get_file_value("media");
      u.bytes = media.content;
      u.content_type = media.content_type;
      u.category = req.has_file("media_category") ? req.get_file_value("media_category").content : "";
      u.media_type = req.has_file("media_type") ? req.get_file_value("media_type").content : "";
    } else {
      auto body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.value("media", json()).is_string())
        return InvalidRequest(res, "The `media` field is required.");
      auto bytes = Base64Decode(body["media"].get<std::string>());
      if (!bytes) return InvalidRequest(res, "The `media` field is not valid base64.");
      u.bytes = *bytes;
      u.category = body.value("media_category", "");
      u.media_type = body.value("media_type", "");
    }
    if (u.category.empty()) return InvalidRequest(res, "The `media_category` field is required.");
    if (u.category != "tweet_image" && u.category != "dm_image" && u.category != "subtitles")
      return InvalidRequest(res, "The `media_category` value [" + u.category + "] is not one of [tweet_image,dm_image,subtitles]");
    if (!u.media_type.empty() && u.media_type != "image/jpeg" && u.media_type != "image/bmp" && u.media_type != "image/png" &&
        u.media_type != "image/webp" && u.media_type != "image/pjpeg" && u.media_type != "image/tiff" &&
        u.media_type != "text/srt" && u.media_type != "text/vtt")
      return InvalidRequest(res, "The `media_type` value [" + u.media_type + "] is not supported.");
    if (u.bytes.empty()) return InvalidRequest(res, "The `media` field is empty.");
    std::lock_guard lock(mu_);
    int left = upload_limit_ - static_cast<int>(uploads_.size());
    res.set_header("x-rate-limit-limit", std::to_string(upload_limit_));
    res.set_header("x-rate-limit-remaining", std::to_string(std::max(0, left - 1)));
    res.set_header("x-rate-limit-reset", std::to_string(Epoch(now_ + std::chrono::minutes{15})));
    if (left <= 0) {
      res.status = 429;
      return res.set_content(R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})",
                             "application/json");
    }
    u.id = std::to_string(next_id_++);
    uploads_.push_back(u);
    res.set_content(json{{"data", {{"id", u.id}, {"media_key", "3_" + u.id}, {"size", u.bytes.size()},
                                   {"expires_after_secs", 86400}}}}.dump(),
                    "application/json");
  });
  server_.server().Post("/2/media/metadata", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.value("id", json()).is_string()) return InvalidRequest(res, "The `id` field is required.");
    const json metadata = body.value("metadata", json());
    if (!metadata.is_object()) return InvalidRequest(res, "The `metadata` field is required.");
    std::string alt;
    if (metadata.contains("alt_text")) {
      if (!metadata["alt_text"].is_object() || !metadata["alt_text"].value("text", json()).is_string())
        return InvalidRequest(res, "The `metadata.alt_text.text` field is required.");
      alt = metadata["alt_text"]["text"].get<std::string>();
      if (CodePoints(alt) > 1000) return InvalidRequest(res, "The `metadata.alt_text.text` field must be at most 1000 characters.");
    }
    std::lock_guard lock(mu_);
    for (auto& u : uploads_) {
      if (u.id != body["id"]) continue;
      u.alt_text = alt;
      return res.set_content(json{{"data", {{"id", u.id}, {"associated_metadata", {{"alt_text", {{"text", alt}}}}}}}}.dump(),
                             "application/json");
    }
    Problem(res, 400, "Invalid Request", "Media " + body["id"].get<std::string>() + " was not found.",
            "https://api.twitter.com/2/problems/resource-not-found");
  });
  server_.server().Get(R"(/images/(.+))", [](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1] == "missing.png") {
      res.status = 404;
      return res.set_content("not found", "text/plain");
    }
    res.set_content(ImageBytes(req.matches[1]), "image/png");
  });
  server_.server().Get("/2/users/me", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    res.set_content(json{{"data", {{"id", user_id_}, {"name", "Herald"}, {"username", username_}}}}.dump(), "application/json");
  });
  server_.server().Get(R"(/2/users/(\d+)/tweets)", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    if (req.matches[1] != user_id_) return Problem(res, 404, "Not Found Error", "Could not find user with id: [" + std::string(req.matches[1]) + "].");
    int max = req.has_param("max_results") ? std::stoi(req.get_param_value("max_results")) : 10;
    if (max < 5 || max > 100)
      return Problem(res, 400, "Invalid Request", "The `max_results` query parameter value [" + std::to_string(max) +
                                                      "] is not between 5 and 100", "https://api.twitter.com/2/problems/invalid-request");
    bool with_time = req.get_param_value("tweet.fields").find("created_at") != std::string::npos;
    json data = json::array();
    std::lock_guard lock(mu_);
    for (auto it = posts_.rbegin(); it != posts_.rend() && static_cast<int>(data.size()) < max; ++it) {
      json item = {{"id", it->id}, {"text", it->text}, {"edit_history_tweet_ids", {it->id}}};
      if (with_time) item["created_at"] = it->created_at;
      data.push_back(item);
    }
    json out = {{"meta", {{"result_count", data.size()}}}};
    if (!data.empty()) out["data"] = data;
    res.set_content(out.dump(), "application/json");
  });
  server_.server().Get(R"(/2/users/(\d+)/mentions)", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    if (req.matches[1] != user_id_) return Problem(res, 404, "Not Found Error", "Could not find user with id: [" + std::string(req.matches[1]) + "].");
    int max = req.has_param("max_results") ? std::stoi(req.get_param_value("max_results")) : 10;
    if (max < 5 || max > 100) return InvalidRequest(res, "The `max_results` query parameter value is not between 5 and 100");
    auto older = [](const std::string& a, const std::string& b) {  // numeric a < b
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    };
    std::string since = req.get_param_value("since_id"), token = req.get_param_value("pagination_token");
    std::string below;
    if (!token.empty()) {
      if (!token.starts_with("pt")) return InvalidRequest(res, "The `pagination_token` query parameter value is not valid");
      below = token.substr(2);
    }
    std::string fields = req.get_param_value("tweet.fields");
    bool expand = req.get_param_value("expansions").find("author_id") != std::string::npos;
    std::lock_guard lock(mu_);
    ++mention_reads_;
    res.set_header("x-rate-limit-limit", "180");
    res.set_header("x-rate-limit-remaining", std::to_string(std::max(0, 180 - mention_reads_)));
    res.set_header("x-rate-limit-reset", std::to_string(Epoch(now_ + std::chrono::minutes{15})));
    json data = json::array(), users = json::array();
    std::set<std::string> listed;
    bool more = false;
    for (auto it = mentions_.rbegin(); it != mentions_.rend(); ++it) {
      if (!since.empty() && !older(since, it->id)) continue;
      if (!below.empty() && !older(it->id, below)) continue;
      if (static_cast<int>(data.size()) == max) {
        more = true;
        break;
      }
      json item = {{"id", it->id}, {"text", it->text}, {"edit_history_tweet_ids", {it->id}}};
      std::string author = "9" + std::to_string(std::hash<std::string>{}(it->username) % 100000000);
      if (fields.find("created_at") != std::string::npos) item["created_at"] = it->created_at;
      if (fields.find("author_id") != std::string::npos) item["author_id"] = author;
      if (fields.find("conversation_id") != std::string::npos) item["conversation_id"] = it->replied_to.empty() ? it->id : it->replied_to;
      if (fields.find("lang") != std::string::npos) item["lang"] = "en";
      if (fields.find("referenced_tweets") != std::string::npos) {
        json refs = json::array();
        if (!it->replied_to.empty()) refs.push_back({{"type", "replied_to"}, {"id", it->replied_to}});
        if (!it->quoted.empty()) refs.push_back({{"type", "quoted"}, {"id", it->quoted}});
        if (!refs.empty()) item["referenced_tweets"] = refs;
      }
      if (expand && listed.insert(author).second)
        users.push_back({{"id", author}, {"username", it->username}, {"name", it->name}});
      data.push_back(item);
    }
    json out = {{"meta", {{"result_count", data.size()}}}};
    if (!data.empty()) {
      out["data"] = data;
      out["meta"]["newest_id"] = data.front()["id"];
      out["meta"]["oldest_id"] = data.back()["id"];
      if (more) out["meta"]["next_token"] = "pt" + data.back()["id"].get<std::string>();
      if (expand) out["includes"] = {{"users", users}};
    }
    res.set_content(out.dump(), "application/json");
  });
  server_.server().Get(R"(/2/tweets/(\d+))", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::string id = req.matches[1];
    std::lock_guard lock(mu_);
    const Post* found = nullptr;
    for (const auto& p : posts_) found = p.id == id ? &p : found;
    if (found == nullptr || deleted_.count(id)) {
      json errors = {{{"value", id}, {"detail", "Could not find tweet with id: [" + id + "]."}, {"title", "Not Found Error"},
                      {"resource_type", "tweet"}, {"parameter", "id"}, {"resource_id", id},
                      {"type", "https://api.twitter.com/2/problems/resource-not-found"}}};
      return res.set_content(json{{"errors", errors}}.dump(), "application/json");
    }
    json data = {{"id", found->id}, {"text", found->text}, {"edit_history_tweet_ids", {found->id}}};
    if (req.get_param_value("tweet.fields").find("public_metrics") != std::string::npos) {
      json metrics = {{"retweet_count", 0}, {"reply_count", 0}, {"like_count", 0}, {"quote_count", 0},
                      {"bookmark_count", 0}, {"impression_count", 0}};
      for (const auto& [field, n] : metrics_[id]) metrics[field] = n;
      data["public_metrics"] = metrics;
    }
    res.set_content(json{{"data", data}}.dump(), "application/json");
  });
  server_.Start();
}

void XFake::SetMetrics(const std::string& id, int replies, int retweets, int likes, int quotes, int bookmarks,
                       int impressions) {
  std::lock_guard lock(mu_);
  metrics_[id] = {{"reply_count", replies}, {"retweet_count", retweets}, {"like_count", likes},
                  {"quote_count", quotes}, {"bookmark_count", bookmarks}, {"impression_count", impressions}};
}

void XFake::Delete(const std::string& id) {
  std::lock_guard lock(mu_);
  deleted_.insert(id);
}

std::string XFake::Stored(const std::string& text) const {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 7, "http://") == 0 || text.compare(i, 8, "https://") == 0) {
      out += "https://t.co/AbC123xYz";
      while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
      continue;
    }
    char c = text[i++];
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

std::vector<XFake::Post> XFake::Posts() const {
  std::lock_guard lock(mu_);
  return posts_;
}

std::vector<XFake::Upload> XFake::Uploads() const {
  std::lock_guard lock(mu_);
  return uploads_;
}

void XFake::AcceptTokens(std::function<bool(const std::string&)> valid) {
  std::lock_guard lock(mu_);
  valid_token_ = std::move(valid);
}

void XFake::SetUserDayLimit(int limit) {
  std::lock_guard lock(mu_);
  day_limit_ = limit;
}

void XFake::SetUploadLimit(int limit) {
  std::lock_guard lock(mu_);
  upload_limit_ = limit;
}

void XFake::SetNow(Instant now) {
  std::lock_guard lock(mu_);
  now_ = now;
}

void XFake::AddPost(const std::string& text, Instant at) {
  std::lock_guard lock(mu_);
  posts_.push_back({std::to_string(next_id_++), Stored(text), FormatRfc3339(at)});
}

std::string XFake::AddMention(const std::string& username, const std::string& name, const std::string& text, Instant at,
                              const std::string& replied_to, const std::string& quoted) {
  std::lock_guard lock(mu_);
  std::string id = std::to_string(next_id_++);
  mentions_.push_back({id, username, name, Stored(text), FormatRfc3339(at), replied_to, quoted});
  return id;
}

Instant XFake::FifteenMinuteReset() const {
  std::lock_guard lock(mu_);
  return now_ + std::chrono::minutes{15};
}

Instant XFake::DayReset() const {
  std::lock_guard lock(mu_);
  return now_ + std::chrono::hours{24};
}

}  // namespace herald::testing
