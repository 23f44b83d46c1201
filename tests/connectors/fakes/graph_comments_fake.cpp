#include "tests/connectors/fakes/graph_comments_fake.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tests/connectors/fakes/meta_graph_fake.h"

namespace herald::testing {
namespace {
using json = nlohmann::json;
}  // namespace

GraphComments::GraphComments(Style style, std::string own_id, std::string own_name)
    : style_(style), own_id_(std::move(own_id)), own_name_(std::move(own_name)),
      now_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())) {}

std::string GraphComments::Add(const std::string& post, const std::string& name, const std::string& text, Instant at,
                               const std::string& parent) {
  std::lock_guard lock(mu_);
  Comment c;
  c.id = (style_ == Style::kFacebook ? post + "_" : "") + std::to_string(next_id_++);
  c.post = post;
  c.parent = parent;
  c.own = name == own_name_;
  c.from_id = c.own ? own_id_ : "9" + std::to_string(std::hash<std::string>{}(name) % 1000000000);
  c.name = name;
  c.text = text;
  c.at = at;
  comments_.push_back(c);
  return c.id;
}

void GraphComments::List(const std::string& post, const httplib::Request& req, httplib::Response& res) {
  std::lock_guard lock(mu_);
  int limit = 25;
  if (std::string l = GraphParam(req, "limit"); !l.empty()) limit = std::stoi(l);
  limit = std::min(limit, page_cap_);
  // Newest first; a top-level list for Instagram (replies nest under their comment).
  std::vector<const Comment*> listed;
  for (const Comment& c : comments_) {
    if (c.post != post) continue;
    if (style_ == Style::kInstagram && !c.parent.empty()) continue;
    listed.push_back(&c);
  }
  std::reverse(listed.begin(), listed.end());  // of one second, the later added first
  std::stable_sort(listed.begin(), listed.end(), [](const Comment* a, const Comment* b) { return a->at > b->at; });
  size_t start = 0;
  if (std::string after = GraphParam(req, "after"); !after.empty()) {
    start = listed.size();
    for (size_t i = 0; i < listed.size(); ++i)
      if ("c" + listed[i]->id == after) start = i + 1;
  }
  auto view = [&](const Comment& c) {
    json j = {{"id", c.id}};
    switch (style_) {
      case Style::kFacebook:
        j["message"] = c.text;
        j["created_time"] = GraphTime(c.at);
        j["from"] = {{"id", c.from_id}, {"name", c.name}};
        j["permalink_url"] = "https://www.facebook.com/" + c.post + "?comment_id=" + c.id;
        if (!c.parent.empty()) j["parent"] = {{"id", c.parent}};
        break;
      case Style::kInstagram:
        j["text"] = c.text;
        j["timestamp"] = GraphTime(c.at);
        j["username"] = c.name;
        j["from"] = {{"id", c.from_id}, {"username", c.name}};
        break;
      case Style::kThreads:
        j["text"] = c.text;
        j["timestamp"] = GraphTime(c.at);
        j["username"] = c.name;
        j["permalink"] = "https://www.threads.net/@" + c.name + "/post/C" + c.id.substr(c.id.size() - 6);
        j["replied_to"] = {{"id", c.parent.empty() ? c.post : c.parent}};
        j["is_reply_owned_by_me"] = c.own;
        break;
    }
    return j;
  };
  json data = json::array();
  size_t i = start;
  for (; i < listed.size() && static_cast<int>(data.size()) < limit; ++i) {
    json item = view(*listed[i]);
    if (style_ == Style::kInstagram) {
      json replies = json::array();
      for (const Comment& r : comments_)
        if (r.parent == listed[i]->id) replies.push_back(view(r));
      if (!replies.empty()) item["replies"] = {{"data", replies}};
    }
    data.push_back(item);
  }
  json out = {{"data", data}};
  if (!data.empty()) {
    out["paging"] = {{"cursors", {{"before", "c" + data.front()["id"].get<std::string>()},
                                  {"after", "c" + data.back()["id"].get<std::string>()}}}};
    if (i < listed.size()) out["paging"]["next"] = "https://graph.example/next";
  }
  res.set_content(out.dump(), "application/json");
}

void GraphComments::Reply(const std::string& comment, const httplib::Request& req, httplib::Response& res) {
  std::lock_guard lock(mu_);
  const Comment* target = nullptr;
  for (const Comment& c : comments_) target = c.id == comment ? &c : target;
  if (target == nullptr)
    return WriteGraphError(res, 400, 100, "Unsupported post request. Object with ID '" + comment + "' does not exist",
                           "GraphMethodException");
  std::string message = GraphParam(req, "message");
  if (message.empty()) return WriteGraphError(res, 400, 100, "(#100) The parameter message is required");
  Comment c;
  c.id = (style_ == Style::kFacebook ? target->post + "_" : "") + std::to_string(next_id_++);
  c.post = target->post;
  // Facebook and Instagram nest one level: an answer to a reply joins its thread.
  c.parent = target->parent.empty() ? target->id : target->parent;
  c.from_id = own_id_;
  c.name = own_name_;
  c.text = message;
  c.at = now_;
  c.own = true;
  comments_.push_back(c);
  res.set_content(json{{"id", c.id}}.dump(), "application/json");
}

bool GraphComments::Knows(const std::string& id) const {
  std::lock_guard lock(mu_);
  for (const Comment& c : comments_)
    if (c.id == id) return true;
  return false;
}

void GraphComments::set_page_cap(int cap) {
  std::lock_guard lock(mu_);
  page_cap_ = cap;
}

void GraphComments::set_now(Instant now) {
  std::lock_guard lock(mu_);
  now_ = now;
}

std::vector<GraphComments::Comment> GraphComments::Comments() const {
  std::lock_guard lock(mu_);
  return comments_;
}

}  // namespace herald::testing
