#include "tests/connectors/fakes/x_fake.h"

#include <nlohmann/json.hpp>

namespace herald::testing {
namespace {
using json = nlohmann::json;

void Problem(httplib::Response& res, int status, const std::string& title, const std::string& detail,
             const std::string& type = "about:blank") {
  res.status = status;
  res.set_content(json{{"title", title}, {"detail", detail}, {"type", type}, {"status", status}}.dump(), "application/json");
}

int64_t Epoch(Instant t) { return t.time_since_epoch().count(); }
}  // namespace

XFake::XFake(std::string token, std::string user_id, std::string username)
    : token_(std::move(token)), user_id_(std::move(user_id)), username_(std::move(username)),
      now_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())) {
  auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") == "Bearer " + token_) return true;
    Problem(res, 401, "Unauthorized", "Unauthorized");
    return false;
  };
  server_.server().Post("/2/tweets", [this, authorized](const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.value("text", json()).is_string() || body["text"].get<std::string>().empty())
      return Problem(res, 400, "Invalid Request", "One or more parameters to your request was invalid.",
                     "https://api.twitter.com/2/problems/invalid-request");
    std::string text = body["text"].get<std::string>();
    size_t points = 0;
    for (unsigned char c : text)
      if ((c & 0xC0) != 0x80) ++points;
    if (points > 280)
      return Problem(res, 400, "Bad Request",
                     "Your Tweet text is too long. For more information on how X determines text length see "
                     "https://github.com/twitter/twitter-text.");
    std::lock_guard lock(mu_);
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
    for (const auto& p : posts_)
      if (p.text == stored)
        return Problem(res, 403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.");
    ++day_used_;
    limits(remaining);
    Post p{std::to_string(next_id_++), stored, FormatRfc3339(now_)};
    posts_.push_back(p);
    res.status = 201;
    res.set_content(json{{"data", {{"id", p.id}, {"text", p.text}, {"edit_history_tweet_ids", {p.id}}}}}.dump(),
                    "application/json");
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
  server_.Start();
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

void XFake::SetUserDayLimit(int limit) {
  std::lock_guard lock(mu_);
  day_limit_ = limit;
}

void XFake::SetNow(Instant now) {
  std::lock_guard lock(mu_);
  now_ = now;
}

void XFake::AddPost(const std::string& text, Instant at) {
  std::lock_guard lock(mu_);
  posts_.push_back({std::to_string(next_id_++), Stored(text), FormatRfc3339(at)});
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
