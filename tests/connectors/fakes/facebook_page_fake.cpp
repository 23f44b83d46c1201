#include "tests/connectors/fakes/facebook_page_fake.h"

#include <nlohmann/json.hpp>

namespace herald::testing {
namespace {
using json = nlohmann::json;

size_t CodePoints(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}
}  // namespace

FacebookPageFake::FacebookPageFake(std::string page_id, std::string token, std::string version)
    : page_id_(std::move(page_id)), token_(std::move(token)), version_(std::move(version)) {
  auto route = [this](void (FacebookPageFake::*handler)(const httplib::Request&, httplib::Response&)) {
    return [this, handler](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu_);
        for (const auto& [k, v] : answer_headers_) res.set_header(k, v);
      }
      if (!tokens_.Check(req, res)) return;
      // "me" is the Page itself when the token is the Page's.
      if (req.matches[1] != version_ || (req.matches[2] != page_id_ && req.matches[2] != "me"))
        return WriteGraphError(res, 400, 100, "Unsupported request. Object with ID '" + std::string(req.matches[2]) +
                                                  "' does not exist", "GraphMethodException");
      (this->*handler)(req, res);
    };
  };
  server_.server().Post(R"(/(v[0-9.]+)/([^/]+)/feed)", route(&FacebookPageFake::Feed));
  server_.server().Post(R"(/(v[0-9.]+)/([^/]+)/photos)", route(&FacebookPageFake::Photos));
  server_.server().Get(R"(/(v[0-9.]+)/([^/]+)/posts)", route(&FacebookPageFake::List));
  // GET /me with a Page token: the Page.
  server_.server().Get(R"(/(v[0-9.]+)/(me))", route(&FacebookPageFake::Me));
  auto comments = [this](bool post) {
    return [this, post](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu_);
        for (const auto& [k, v] : answer_headers_) res.set_header(k, v);
      }
      if (!tokens_.Check(req, res)) return;
      std::string id = req.matches[2];
      if (post) return comments_.Reply(id, req, res);
      bool known = false;
      {
        std::lock_guard lock(mu_);
        for (const Post& p : posts_) known = known || p.id == id;
      }
      if (req.matches[1] != version_ || !known)
        return WriteGraphError(res, 400, 100, "Unsupported get request. Object with ID '" + id + "' does not exist",
                               "GraphMethodException");
      comments_.List(id, req, res);
    };
  };
  server_.server().Get(R"(/(v[0-9.]+)/([0-9_]+)/comments)", comments(false));
  server_.server().Post(R"(/(v[0-9.]+)/([0-9_]+)/comments)", comments(true));
  server_.Start();
}

std::string FacebookPageFake::AddPost(const std::string& message) {
  std::lock_guard lock(mu_);
  return NewPost(message, {});
}

std::string FacebookPageFake::NewPost(std::string message, std::vector<std::string> photos) {
  Post p;
  p.id = page_id_ + "_" + std::to_string(next_id_++);
  p.message = std::move(message);
  p.photo_urls = std::move(photos);
  p.created_time = GraphTime(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  posts_.push_back(p);
  return p.id;
}

void FacebookPageFake::Me(const httplib::Request& req, httplib::Response& res) {
  json me = {{"id", page_id_}};
  if (req.has_param("fields") && req.get_param_value("fields").find("name") != std::string::npos) me["name"] = "Herald Page";
  res.set_content(me.dump(), "application/json");
}

void FacebookPageFake::Feed(const httplib::Request& req, httplib::Response& res) {
  std::string message = GraphParam(req, "message");
  if (CodePoints(message) > 63206) return WriteGraphError(res, 400, 100, "(#100) The message is too long.");
  std::vector<std::string> photos;
  std::lock_guard lock(mu_);
  for (int i = 0;; ++i) {
    std::string attached = GraphParam(req, "attached_media[" + std::to_string(i) + "]");
    if (attached.empty()) break;
    auto j = json::parse(attached, nullptr, false);
    std::string fbid = j.is_object() ? j.value("media_fbid", "") : "";
    auto it = photos_.find(fbid);
    if (it == photos_.end()) return WriteGraphError(res, 400, 100, "(#100) Invalid attached_media: " + attached);
    photos.push_back(it->second);
    photos_.erase(it);
  }
  if (message.empty() && photos.empty())
    return WriteGraphError(res, 400, 100, "(#100) The parameter message or attached_media is required.");
  res.set_content(json{{"id", NewPost(message, photos)}}.dump(), "application/json");
}

void FacebookPageFake::Photos(const httplib::Request& req, httplib::Response& res) {
  std::string url = GraphParam(req, "url");
  if (url.empty()) return WriteGraphError(res, 400, 324, "(#324) Requires upload file");
  std::lock_guard lock(mu_);
  std::string photo_id = std::to_string(next_id_++);
  if (GraphParam(req, "published") == "false") {
    photos_[photo_id] = url;
    return res.set_content(json{{"id", photo_id}}.dump(), "application/json");
  }
  std::string caption = GraphParam(req, "caption");
  if (CodePoints(caption) > 63206) return WriteGraphError(res, 400, 100, "(#100) The caption is too long.");
  res.set_content(json{{"id", photo_id}, {"post_id", NewPost(caption, {url})}}.dump(), "application/json");
}

void FacebookPageFake::List(const httplib::Request& req, httplib::Response& res) {
  int limit = 25;
  if (std::string l = GraphParam(req, "limit"); !l.empty()) limit = std::stoi(l);
  json data = json::array();
  std::lock_guard lock(mu_);
  for (auto it = posts_.rbegin(); it != posts_.rend() && static_cast<int>(data.size()) < limit; ++it) {
    json item = {{"id", it->id}, {"created_time", it->created_time}};
    if (!it->message.empty()) item["message"] = it->message;  // Graph leaves out an empty message
    data.push_back(item);
  }
  res.set_content(json{{"data", data}}.dump(), "application/json");
}

std::vector<FacebookPageFake::Post> FacebookPageFake::Posts() const {
  std::lock_guard lock(mu_);
  return posts_;
}

std::map<std::string, std::string> FacebookPageFake::UnpublishedPhotos() const {
  std::lock_guard lock(mu_);
  return photos_;
}

void FacebookPageFake::SetAnswerHeader(std::string name, std::string value) {
  std::lock_guard lock(mu_);
  answer_headers_.emplace_back(std::move(name), std::move(value));
}

}  // namespace herald::testing
