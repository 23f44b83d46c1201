#include "tests/connectors/fakes/bluesky_fake.h"

#include <algorithm>
#include <regex>

namespace herald::testing {
namespace {

using nlohmann::json;

void Answer(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

json XrpcError(const std::string& error, const std::string& message) { return {{"error", error}, {"message", message}}; }

std::string Bearer(const httplib::Request& req) {
  std::string h = req.get_header_value("Authorization");
  return h.starts_with("Bearer ") ? h.substr(7) : "";
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

BlueskyFake::BlueskyFake(std::string password) : password_(std::move(password)) {
  reset_ = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) + std::chrono::hours{1};
  auto& s = fake_.server();

  s.Get(R"(/images/(.+))", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string("\x89PNG\r\n\x1a\n", 8) + std::string(32, '\x02'), "image/png");
  });

  s.Post("/xrpc/com.atproto.server.createSession", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Headers(res);
    json body = json::parse(req.body, nullptr, false);
    std::string who = body.is_object() ? body.value("identifier", "") : "";
    if ((who != kHandle && who != kDid) || !body.is_object() || body.value("password", "") != password_) {
      return Answer(res, 401, XrpcError("AuthenticationRequired", "Invalid identifier or password"));
    }
    ++sessions_;
    Answer(res, 200, NewSession());
  });

  s.Post("/xrpc/com.atproto.server.refreshSession", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Headers(res);
    // refreshSession has no input: the PDS refuses any body (and a declared one).
    if (!req.body.empty() || req.has_header("Content-Type") || req.has_header("Transfer-Encoding")) {
      return Answer(res, 400, XrpcError("InvalidRequest", "A request body was provided when none was expected"));
    }
    std::string token = Bearer(req);
    if (expired_.count(token)) return Answer(res, 400, XrpcError("ExpiredToken", "Token has expired"));
    if (token != refresh_) return Answer(res, 400, XrpcError("InvalidToken", "Token could not be verified"));
    ++refreshes_;
    expired_.insert(access_);
    expired_.insert(refresh_);
    Answer(res, 200, NewSession());
  });

  s.Post("/xrpc/com.atproto.repo.uploadBlob", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Headers(res);
    if (!Authorized(req, res)) return;
    blob_types_.push_back(req.get_header_value("Content-Type"));
    Answer(res, 200, {{"blob", {{"$type", "blob"}, {"ref", {{"$link", "bafkreiblob" + std::to_string(blob_types_.size())}}},
                                {"mimeType", req.get_header_value("Content-Type")}, {"size", req.body.size()}}}});
  });

  s.Post("/xrpc/com.atproto.repo.createRecord", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Headers(res);
    if (!Authorized(req, res)) return;
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || body.value("repo", "") != kDid || body.value("collection", "") != "app.bsky.feed.post" ||
        !body.contains("record") || !body["record"].is_object()) {
      return Answer(res, 400, XrpcError("InvalidRequest", "Input must have the properties \"repo\", \"collection\", and \"record\""));
    }
    const json& record = body["record"];
    std::string rkey = body.value("rkey", "");
    static const std::regex kTid("^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$");
    if (!std::regex_match(rkey, kTid)) return Answer(res, 400, XrpcError("InvalidRequest", "Invalid record key: " + rkey));
    if (!record.contains("text") || !record["text"].is_string() || !record.contains("createdAt")) {
      return Answer(res, 400, XrpcError("InvalidRequest", "Invalid app.bsky.feed.post record: Record must have the property \"text\""));
    }
    if (record.contains("reply")) {
      const json& reply = record["reply"];
      auto strong = [](const json& ref) {
        return ref.is_object() && ref.value("uri", json()).is_string() && ref.value("cid", json()).is_string() &&
               ref["uri"].get<std::string>().starts_with("at://") && !ref["cid"].get<std::string>().empty();
      };
      if (!reply.is_object() || !strong(reply.value("root", json())) || !strong(reply.value("parent", json()))) {
        return Answer(res, 400, XrpcError("InvalidRequest",
                                          "Invalid app.bsky.feed.post record: Record/reply must have the properties \"root\" and \"parent\""));
      }
    }
    if (CodePoints(record["text"].get<std::string>()) > 300) {
      return Answer(res, 400, XrpcError("InvalidRequest",
                                        "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"));
    }
    for (const auto& r : records_) {
      if (r.rkey == rkey) return Answer(res, 500, XrpcError("InternalServerError", "Internal Server Error"));
    }
    records_.push_back({rkey, record});
    json answer = {{"uri", std::string("at://") + kDid + "/app.bsky.feed.post/" + rkey},
                   {"cid", "bafyreirecord" + std::to_string(records_.size())},
                   {"validationStatus", "valid"}};
    if (drop_next_create_) {
      drop_next_create_ = false;
      // Headers go out, then the connection closes before the body: no answer.
      res.set_content_provider(answer.dump().size(), "application/json",
                               [](size_t, size_t, httplib::DataSink&) { return false; });
      return;
    }
    Answer(res, 200, answer);
  });

  s.Get("/xrpc/com.atproto.identity.resolveHandle", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Headers(res);
    std::string handle = req.get_param_value("handle");
    ++resolutions_;
    if (handle == kHandle) return Answer(res, 200, {{"did", kDid}});
    if (handle == kFriendHandle) return Answer(res, 200, {{"did", kFriendDid}});
    Answer(res, 400, XrpcError("InvalidRequest", "Unable to resolve handle"));
  });

  s.Get("/xrpc/com.atproto.repo.getRecord", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Headers(res);
    std::string repo = req.get_param_value("repo"), rkey = req.get_param_value("rkey");
    std::string uri = "at://" + repo + "/" + req.get_param_value("collection") + "/" + rkey;
    if (records_unreadable_) return Answer(res, 502, XrpcError("UpstreamFailure", "Upstream Failure"));
    if (repo == kDid || repo == kHandle) {
      for (const auto& r : records_) {
        if (r.rkey == rkey) return Answer(res, 200, {{"uri", uri}, {"cid", "bafyreirecord"}, {"value", r.value}});
      }
    }
    Answer(res, 400, XrpcError("RecordNotFound", "Could not locate record: " + uri));
  });
  s.Get("/xrpc/app.bsky.feed.getPosts", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Headers(res);
    if (!Authorized(req, res)) return;
    if (!req.has_param("uris")) return Answer(res, 400, XrpcError("InvalidRequest", "Error: Params must have the property \"uris\""));
    json posts = json::array();
    for (size_t i = 0; i < req.get_param_value_count("uris"); ++i) {
      std::string uri = req.get_param_value("uris", i);
      std::string prefix = "at://" + std::string(kDid) + "/app.bsky.feed.post/";
      if (!uri.starts_with(prefix)) continue;
      std::string rkey = uri.substr(prefix.size());
      if (deleted_.count(rkey)) continue;
      for (const auto& r : records_) {
        if (r.rkey != rkey) continue;
        json view = {{"uri", uri}, {"cid", "bafyreirecord"}, {"author", {{"did", kDid}, {"handle", kHandle}}},
                     {"record", r.value}, {"replyCount", 0}, {"repostCount", 0}, {"likeCount", 0}, {"quoteCount", 0},
                     {"indexedAt", r.value.value("createdAt", "")}};
        if (auto c = counts_.find(rkey); c != counts_.end()) view.update(c->second);
        posts.push_back(view);
      }
    }
    Answer(res, 200, {{"posts", posts}});
  });
  s.Get("/xrpc/app.bsky.notification.listNotifications", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    Headers(res);
    if (!Authorized(req, res)) return;
    int limit = req.has_param("limit") ? std::atoi(req.get_param_value("limit").c_str()) : 50;
    if (limit < 1 || limit > 100) return Answer(res, 400, XrpcError("InvalidRequest", "limit must be between 1 and 100"));
    std::set<std::string> reasons;
    std::string asked;
    for (size_t i = 0; i < req.get_param_value_count("reasons"); ++i) {
      reasons.insert(req.get_param_value("reasons", i));
      asked += (asked.empty() ? "" : ",") + req.get_param_value("reasons", i);
    }
    reasons_asked_.push_back(asked);
    // Newest first by indexedAt, then by the order added; the cursor is the
    // position of the last one served (as the AppView's, a sort key).
    std::vector<size_t> order(notifications_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = order.size() - 1 - i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return notifications_[a]["indexedAt"].get<std::string>() > notifications_[b]["indexedAt"].get<std::string>();
    });
    size_t start = 0;
    if (req.has_param("cursor")) {
      std::string cursor = req.get_param_value("cursor");
      auto sep = cursor.find("::");
      if (sep == std::string::npos) return Answer(res, 400, XrpcError("InvalidRequest", "Malformed cursor"));
      std::string uri = cursor.substr(sep + 2);
      start = order.size();
      for (size_t i = 0; i < order.size(); ++i)
        if (notifications_[order[i]]["uri"] == uri) start = i + 1;
    }
    json list = json::array();
    std::string last;
    size_t i = start;
    for (; i < order.size() && static_cast<int>(list.size()) < limit; ++i) {
      const json& n = notifications_[order[i]];
      if (!reasons.empty() && !reasons.count(n["reason"].get<std::string>())) continue;
      list.push_back(n);
      last = n["indexedAt"].get<std::string>() + "::" + n["uri"].get<std::string>();
    }
    json answer = {{"notifications", list}, {"priority", false}};
    bool more = false;
    for (; i < order.size(); ++i)
      more = more || reasons.empty() || reasons.count(notifications_[order[i]]["reason"].get<std::string>());
    if (more && !last.empty()) answer["cursor"] = last;
    Answer(res, 200, answer);
  });
  fake_.Start();
}

std::string BlueskyFake::AddNotification(const std::string& reason, const std::string& author, Instant at, json record,
                                         const std::string& subject) {
  std::string did = "did:plc:" + author.substr(0, author.find('.')) + "0000000000";
  std::string uri = "at://" + did + "/app.bsky.feed.post/3l" + std::to_string(100000 + notifications_.size()) + "aaaaa";
  json n = {{"uri", uri},
            {"cid", "bafyreinotif" + std::to_string(notifications_.size())},
            {"author", {{"did", did}, {"handle", author}, {"displayName", "Name of " + author}}},
            {"reason", reason},
            {"record", record},
            {"isRead", false},
            {"indexedAt", FormatRfc3339(at).substr(0, 19) + ".000Z"},
            {"labels", json::array()}};
  if (!subject.empty()) n["reasonSubject"] = subject;
  notifications_.push_back(n);
  return uri;
}

std::string BlueskyFake::AddReply(const std::string& author, const std::string& text, Instant at, const json& parent,
                                  const json& root) {
  std::lock_guard lock(mu_);
  json record = {{"$type", "app.bsky.feed.post"}, {"text", text}, {"createdAt", FormatRfc3339(at)},
                 {"langs", {"en"}}, {"reply", {{"root", root}, {"parent", parent}}}};
  return AddNotification("reply", author, at, record, parent.value("uri", ""));
}

std::string BlueskyFake::AddMention(const std::string& author, const std::string& text, Instant at) {
  std::lock_guard lock(mu_);
  json record = {{"$type", "app.bsky.feed.post"}, {"text", text}, {"createdAt", FormatRfc3339(at)}};
  return AddNotification("mention", author, at, record, "");
}

std::string BlueskyFake::AddQuote(const std::string& author, const std::string& text, Instant at,
                                  const std::string& quoted_uri) {
  std::lock_guard lock(mu_);
  json record = {{"$type", "app.bsky.feed.post"}, {"text", text}, {"createdAt", FormatRfc3339(at)},
                 {"embed", {{"$type", "app.bsky.embed.record"}, {"record", {{"uri", quoted_uri}, {"cid", "bafyreiquoted"}}}}}};
  return AddNotification("quote", author, at, record, quoted_uri);
}

void BlueskyFake::AddLike(const std::string& author, Instant at, const std::string& liked_uri) {
  std::lock_guard lock(mu_);
  json record = {{"$type", "app.bsky.feed.like"}, {"subject", {{"uri", liked_uri}, {"cid", "bafyreiliked"}}},
                 {"createdAt", FormatRfc3339(at)}};
  AddNotification("like", author, at, record, liked_uri);
}

std::vector<std::string> BlueskyFake::notification_reasons() const {
  std::lock_guard lock(mu_);
  return reasons_asked_;
}

void BlueskyFake::SetCounts(const std::string& rkey, int replies, int reposts, int likes, int quotes,
                            std::optional<int> bookmarks) {
  std::lock_guard lock(mu_);
  json c = {{"replyCount", replies}, {"repostCount", reposts}, {"likeCount", likes}, {"quoteCount", quotes}};
  if (bookmarks) c["bookmarkCount"] = *bookmarks;
  counts_[rkey] = c;
}

void BlueskyFake::Delete(const std::string& rkey) {
  std::lock_guard lock(mu_);
  deleted_.insert(rkey);
}

json BlueskyFake::NewSession() {
  ++tokens_issued_;
  access_ = "access-" + std::to_string(tokens_issued_);
  refresh_ = "refresh-" + std::to_string(tokens_issued_);
  return {{"did", kDid}, {"handle", kHandle}, {"accessJwt", access_}, {"refreshJwt", refresh_}, {"active", true}};
}

bool BlueskyFake::Authorized(const httplib::Request& req, httplib::Response& res) {
  std::string token = Bearer(req);
  if (!token.empty() && token == access_ && !expired_.count(token)) return true;
  if (expired_.count(token)) {
    Answer(res, 400, XrpcError("ExpiredToken", "Token has expired"));
  } else {
    Answer(res, 401, XrpcError("AuthenticationRequired", "Invalid token"));
  }
  return false;
}

void BlueskyFake::Headers(httplib::Response& res) {
  if (remaining_ > 0) --remaining_;
  res.set_header("RateLimit-Limit", "5000");
  res.set_header("RateLimit-Remaining", std::to_string(remaining_));
  res.set_header("RateLimit-Reset", std::to_string(reset_.time_since_epoch().count()));
  res.set_header("RateLimit-Policy", "5000;w=3600");
}

void BlueskyFake::ExpireTokens(bool refresh_too) {
  std::lock_guard lock(mu_);
  expired_.insert(access_);
  if (refresh_too) expired_.insert(refresh_);
}

void BlueskyFake::set_records_unreadable(bool unreadable) {
  std::lock_guard lock(mu_);
  records_unreadable_ = unreadable;
}

void BlueskyFake::DropNextCreateAnswer() {
  std::lock_guard lock(mu_);
  drop_next_create_ = true;
}

void BlueskyFake::set_rate_limit(int remaining, Instant reset) {
  std::lock_guard lock(mu_);
  remaining_ = remaining + 1;  // the next answer reports `remaining`
  reset_ = reset;
}

std::vector<BlueskyFake::Record> BlueskyFake::Records() const {
  std::lock_guard lock(mu_);
  return records_;
}

int BlueskyFake::sessions_created() const {
  std::lock_guard lock(mu_);
  return sessions_;
}

int BlueskyFake::refreshes() const {
  std::lock_guard lock(mu_);
  return refreshes_;
}

std::vector<std::string> BlueskyFake::blob_types() const {
  std::lock_guard lock(mu_);
  return blob_types_;
}

}  // namespace herald::testing

namespace herald::testing {
int BlueskyFake::resolutions() const {
  std::lock_guard lock(mu_);
  return resolutions_;
}
}  // namespace herald::testing
