#include "tests/connectors/fakes/meta_graph_fake.h"

#include <nlohmann/json.hpp>

#include <sstream>
#include <thread>

namespace herald::testing {
namespace {

using json = nlohmann::json;

size_t CodePoints(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

std::string GraphParam(const httplib::Request& req, const std::string& name) {
  if (req.has_param(name.c_str())) return req.get_param_value(name.c_str());
  if (req.get_header_value("Content-Type").find("application/x-www-form-urlencoded") != std::string::npos) {
    httplib::Params form;
    httplib::detail::parse_query_text(req.body, form);
    auto it = form.find(name);
    if (it != form.end()) return it->second;
  }
  return {};
}

bool CheckGraphToken(const httplib::Request& req, httplib::Response& res, const std::string& token) {
  std::string given = GraphParam(req, "access_token");
  std::string auth = req.get_header_value("Authorization");
  if (given.empty() && auth.starts_with("Bearer ")) given = auth.substr(7);
  if (given == token) return true;
  WriteGraphError(res, 400, 190, given.empty() ? "An active access token must be used to query information about the current user."
                                               : "Invalid OAuth access token - Cannot parse access token");
  return false;
}

void GraphTokenCheck::AcceptTokens(std::function<bool(const std::string&)> accepts) {
  std::lock_guard lock(mu_);
  accepts_ = std::move(accepts);
}

bool GraphTokenCheck::Check(const httplib::Request& req, httplib::Response& res) const {
  std::function<bool(const std::string&)> accepts;
  {
    std::lock_guard lock(mu_);
    accepts = accepts_;
  }
  if (!accepts) return CheckGraphToken(req, res, token_);
  std::string given = GraphParam(req, "access_token");
  std::string auth = req.get_header_value("Authorization");
  if (given.empty() && auth.starts_with("Bearer ")) given = auth.substr(7);
  if (accepts(given)) return true;
  WriteGraphError(res, 400, 190, "Error validating access token: The user has not authorized application.");
  return false;
}

void WriteGraphError(httplib::Response& res, int status, int code, const std::string& message, const std::string& type) {
  res.status = status;
  res.set_content(json{{"error", {{"message", message}, {"type", type}, {"code", code}, {"fbtrace_id", "AbCdEfGh123"}}}}.dump(),
                  "application/json");
}

RecordedRequest Record(const httplib::Request& req) {
  RecordedRequest r;
  r.method = req.method;
  r.path = req.path;
  r.body = req.body;
  r.headers.insert(req.headers.begin(), req.headers.end());
  for (const auto& [k, v] : req.params) r.params.emplace(k, v);
  if (req.get_header_value("Content-Type").find("application/x-www-form-urlencoded") != std::string::npos)
    httplib::detail::parse_query_text(req.body, r.params);
  return r;
}

std::string GraphTime(Instant t) {
  std::string s = FormatRfc3339(t);  // 2026-11-23T10:00:00Z
  s.pop_back();
  return s + "+0000";
}

Fault GraphThrottle(const std::string& object_id, int minutes) {
  json usage = {{object_id, json::array({{{"type", "pages"}, {"call_count", 100}, {"total_cputime", 12}, {"total_time", 20},
                                          {"estimated_time_to_regain_access", minutes}}})}};
  json body = {{"error", {{"message", "(#80001) There have been too many calls to this account. Wait a bit and try again."},
                          {"type", "OAuthException"}, {"code", 80001}, {"fbtrace_id", "AbCdEfGh123"}}}};
  return Fault{.status = 400, .headers = {{"X-Business-Use-Case-Usage", usage.dump()}}, .body = body.dump()};
}

ContainerPlatformFake::ContainerPlatformFake(Config config)
    : config_(std::move(config)),
      now_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())),
      comments_(config_.comments_style, config_.user_id, config_.username) {
  auto& s = server_.server();
  s.Post(R"(/(v[0-9.]+)/([^/]+)/([a-z_]+))", [this](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      received_.push_back(Record(req));
    }
    if (!tokens_.Check(req, res)) return;
    if (req.matches[1] == config_.version && req.matches[2] != config_.user_id && !config_.reply_edge.empty() &&
        req.matches[3] == config_.reply_edge)
      return comments_.Reply(req.matches[2], req, res);
    if (req.matches[1] != config_.version || req.matches[2] != config_.user_id)
      return WriteGraphError(res, 400, 100, "Unsupported post request. Object with ID '" + std::string(req.matches[2]) +
                                                "' does not exist, cannot be loaded due to missing permissions, or does not support this operation",
                             "GraphMethodException");
    if (req.matches[3] == config_.create_edge) return CreateContainer(req, res);
    if (req.matches[3] == config_.publish_edge) return PublishContainer(req, res);
    WriteGraphError(res, 400, 100, "Unknown path components: /" + std::string(req.matches[3]));
  });
  s.Get(R"(/(v[0-9.]+)/([^/]+)/([a-z_]+))", [this](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      received_.push_back(Record(req));
    }
    if (!tokens_.Check(req, res)) return;
    if (req.matches[2] != config_.user_id && !config_.comments_edge.empty() && req.matches[3] == config_.comments_edge) {
      bool known = false;
      {
        std::lock_guard lock(mu_);
        for (const Post& p : posts_) known = known || p.id == req.matches[2];
      }
      if (!known)
        return WriteGraphError(res, 400, 100, "Unsupported get request. Object with ID '" + std::string(req.matches[2]) +
                                                  "' does not exist", "GraphMethodException");
      return comments_.List(req.matches[2], req, res);
    }
    if (req.matches[2] != config_.user_id) return WriteGraphError(res, 400, 100, "Unsupported get request.", "GraphMethodException");
    if (req.matches[3] == config_.limit_edge) {
      std::lock_guard lock(mu_);
      json d = {{"quota_usage", quota_usage_}, {"config", {{"quota_total", config_.quota_total}, {"quota_duration", 86400}}}};
      return res.set_content(json{{"data", json::array({d})}}.dump(), "application/json");
    }
    if (req.matches[3] == config_.list_edge) return List(req, res);
    WriteGraphError(res, 400, 100, "Unknown path components: /" + std::string(req.matches[3]));
  });
  s.Get(R"(/(v[0-9.]+)/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard lock(mu_);
      received_.push_back(Record(req));
    }
    if (!tokens_.Check(req, res)) return;
    GetObject(req.matches[2], req, res);
  });
  server_.Start();
}

void ContainerPlatformFake::CreateContainer(const httplib::Request& req, httplib::Response& res) {
  Container c;
  for (const char* name : {"media_type", "image_url", "alt_text", "is_carousel_item", "children"}) {
    std::string v = GraphParam(req, name);
    if (!v.empty()) c.fields[name] = v;
  }
  std::string text = GraphParam(req, config_.text_field);
  if (!text.empty()) c.fields[config_.text_field] = text;
  if (std::string reply_to = GraphParam(req, "reply_to_id"); !reply_to.empty()) {
    bool known = comments_.Knows(reply_to);
    {
      std::lock_guard lock(mu_);
      for (const Post& p : posts_) known = known || p.id == reply_to;
    }
    if (!known) return WriteGraphError(res, 400, 100, "Param reply_to_id must be a valid media id.");
    c.fields["reply_to_id"] = reply_to;
  }
  std::string type = c.fields.count("media_type") ? c.fields["media_type"] : (c.fields.count("image_url") ? "IMAGE" : "");
  if (CodePoints(text) > config_.max_text)
    return WriteGraphError(res, 400, 100, "Param " + config_.text_field + " must be at most " +
                                              std::to_string(config_.max_text) + " characters long.");
  if (type == "TEXT" && (config_.needs_media || text.empty()))
    return WriteGraphError(res, 400, 100, config_.needs_media ? "The parameter image_url is required." : "Param text is required.");
  if (type.empty()) return WriteGraphError(res, 400, 100, "The parameter image_url is required.");
  if (type == "IMAGE" && !c.fields.count("image_url")) return WriteGraphError(res, 400, 100, "The parameter image_url is required.");
  std::lock_guard lock(mu_);
  if (type == "CAROUSEL") {
    c.children = Split(c.fields["children"]);
    if (c.children.size() < 2) return WriteGraphError(res, 400, 100, "A carousel needs at least 2 children.");
    for (const auto& child : c.children)
      if (!containers_.count(child) || containers_[child].fields["is_carousel_item"] != "true")
        return WriteGraphError(res, 400, 100, "Invalid carousel child " + child);
  }
  c.id = std::to_string(next_id_++);
  c.in_progress_reads = in_progress_reads_;
  c.status = in_progress_reads_ > 0 ? "IN_PROGRESS" : final_status_;
  containers_[c.id] = c;
  res.set_content(json{{"id", c.id}}.dump(), "application/json");
}

void ContainerPlatformFake::PublishContainer(const httplib::Request& req, httplib::Response& res) {
  std::chrono::milliseconds stall{0};
  bool act = true;
  {
    std::lock_guard lock(mu_);
    if (stalls_ > 0) {
      --stalls_;
      stall = stall_;
      act = stall_acts_;
    }
  }
  if (!act) {
    std::this_thread::sleep_for(stall);
    return WriteGraphError(res, 503, 2, "Service temporarily unavailable");
  }
  PublishNow(req, res);
  if (stall.count() > 0) std::this_thread::sleep_for(stall);
}

void ContainerPlatformFake::PublishNow(const httplib::Request& req, httplib::Response& res) {
  std::string id = GraphParam(req, "creation_id");
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return WriteGraphError(res, 400, 100, "Param creation_id is not a valid container id.");
  Container& c = it->second;
  if (c.status == "PUBLISHED") return WriteGraphError(res, 400, 10, "The media has already been published.");
  if (c.status != "FINISHED") return WriteGraphError(res, 400, 9007, "Media ID is not available: the media is not ready for publishing.");
  if (quota_usage_ >= config_.quota_total) return WriteGraphError(res, 400, 9, "Application request limit reached");
  Post p;
  p.id = std::to_string(next_id_++);
  p.container = id;
  p.text = c.fields[config_.text_field];
  p.media_type = c.fields.count("media_type") ? c.fields["media_type"] : "IMAGE";
  auto add_image = [&p](const Container& item) {
    auto url = item.fields.find("image_url");
    if (url == item.fields.end()) return;
    p.image_urls.push_back(url->second);
    auto alt = item.fields.find("alt_text");
    p.alt_texts.push_back(alt == item.fields.end() ? "" : alt->second);
  };
  add_image(c);
  for (const auto& child : c.children) add_image(containers_[child]);
  p.timestamp = GraphTime(now_);
  p.permalink = config_.permalink_prefix + "C" + p.id.substr(p.id.size() - 6);
  posts_.push_back(p);
  c.status = "PUBLISHED";
  ++quota_usage_;
  res.set_content(json{{"id", p.id}}.dump(), "application/json");
}

void ContainerPlatformFake::GetObject(const std::string& id, const httplib::Request& req, httplib::Response& res) {
  std::lock_guard lock(mu_);
  if (auto it = containers_.find(id); it != containers_.end()) {
    Container& c = it->second;
    if (c.status == "IN_PROGRESS" && c.in_progress_reads-- <= 0) c.status = final_status_;
    json out = {{"id", id}};
    for (const auto& field : Split(GraphParam(req, "fields"))) {
      if (field == config_.status_field) out[field] = c.status;
      else if (field == "error_message" && c.status == "ERROR") out[field] = "FAILED_DOWNLOADING_IMAGE";
      else if (field == "status") out[field] = c.status == "ERROR" ? "Error: media could not be fetched from URI" : c.status;
    }
    return res.set_content(out.dump(), "application/json");
  }
  for (const auto& p : posts_) {
    if (p.id != id) continue;
    json out = {{"id", id}};
    for (const auto& field : Split(GraphParam(req, "fields")))
      if (field == "permalink") out[field] = p.permalink;
    return res.set_content(out.dump(), "application/json");
  }
  WriteGraphError(res, 400, 100, "Unsupported get request. Object with ID '" + id + "' does not exist", "GraphMethodException");
}

void ContainerPlatformFake::List(const httplib::Request& req, httplib::Response& res) {
  int limit = 25;
  if (std::string l = GraphParam(req, "limit"); !l.empty()) limit = std::stoi(l);
  auto fields = Split(GraphParam(req, "fields"));
  json data = json::array();
  std::lock_guard lock(mu_);
  for (auto it = posts_.rbegin(); it != posts_.rend() && static_cast<int>(data.size()) < limit; ++it) {
    json item;
    for (const auto& f : fields) {
      if (f == "id") item[f] = it->id;
      if (f == config_.text_field) item[f] = it->text;
      if (f == "timestamp") item[f] = it->timestamp;
      if (f == "permalink") item[f] = it->permalink;
    }
    data.push_back(item);
  }
  res.set_content(json{{"data", data}}.dump(), "application/json");
}

std::vector<ContainerPlatformFake::Post> ContainerPlatformFake::Posts() const {
  std::lock_guard lock(mu_);
  std::vector<Post> out;
  for (const auto& p : posts_)
    if (!p.container.empty()) out.push_back(p);
  return out;
}

std::optional<ContainerPlatformFake::Container> ContainerPlatformFake::FindContainer(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return std::nullopt;
  return it->second;
}

void ContainerPlatformFake::SetQuotaUsage(int usage) {
  std::lock_guard lock(mu_);
  quota_usage_ = usage;
}

void ContainerPlatformFake::SetProcessing(int in_progress_reads, std::string final_status) {
  std::lock_guard lock(mu_);
  in_progress_reads_ = in_progress_reads;
  final_status_ = std::move(final_status);
}

void ContainerPlatformFake::SetNow(Instant now) {
  std::lock_guard lock(mu_);
  now_ = now;
}

void ContainerPlatformFake::StallNextPublish(std::chrono::milliseconds delay, bool act, int times) {
  std::lock_guard lock(mu_);
  stall_ = delay;
  stall_acts_ = act;
  stalls_ = times;
}

std::vector<RecordedRequest> ContainerPlatformFake::Received() const {
  std::lock_guard lock(mu_);
  return received_;
}

std::string ContainerPlatformFake::AddPost(const std::string& text, Instant at) {
  std::lock_guard lock(mu_);
  Post p;
  p.id = std::to_string(next_id_++);
  p.text = text;
  p.media_type = "TEXT";
  p.timestamp = GraphTime(at);
  p.permalink = config_.permalink_prefix + "C" + p.id.substr(p.id.size() - 6);
  posts_.push_back(p);
  return p.id;
}

}  // namespace herald::testing
