#include "tests/connectors/fakes/meta_oauth_fake.h"

#include <nlohmann/json.hpp>

#include "tests/connectors/fakes/meta_graph_fake.h"

namespace herald::testing {
namespace {

using json = nlohmann::json;

constexpr std::chrono::seconds kCodeLifetime{600};
constexpr int kShortLived = 3600;
constexpr int kLongLivedUser = 5183944;
constexpr int kPageToken = 10 * 365 * 86400;  // "does not expire"

void Answer(httplib::Response& res, const json& body) {
  res.status = 200;
  res.set_content(body.dump(), "application/json");
}

std::string Given(const httplib::Request& req) {
  std::string given = GraphParam(req, "access_token");
  std::string auth = req.get_header_value("Authorization");
  if (given.empty() && auth.starts_with("Bearer ")) given = auth.substr(7);
  return given;
}

}  // namespace

MetaOAuthFake::MetaOAuthFake(Server server, std::string client_id, std::string client_secret)
    : which_(server), client_id_(std::move(client_id)), client_secret_(std::move(client_secret)) {
  if (which_ == Server::kFacebook) Facebook(); else Threads();
  server_.Start();
}

std::string MetaOAuthFake::authorize_url() const {
  return base_url() + (which_ == Server::kFacebook ? "/v21.0/dialog/oauth" : "/oauth/authorize");
}

std::string MetaOAuthFake::token_url() const {
  return base_url() + (which_ == Server::kFacebook ? "/v21.0/oauth/access_token" : "/oauth/access_token");
}

bool MetaOAuthFake::AppOk(const httplib::Request& req, httplib::Response& res, bool with_id) const {
  if ((with_id && GraphParam(req, "client_id") != client_id_) || GraphParam(req, "client_secret") != client_secret_) {
    WriteGraphError(res, 400, 101, "Error validating application. Invalid application ID or secret.");
    return false;
  }
  return true;
}

MetaOAuthFake::Kind MetaOAuthFake::KindOf(const std::string& token) const {
  std::lock_guard lock(mu_);
  auto it = kinds_.find(token);
  return it == kinds_.end() ? Kind::kPage : it->second;
}

void MetaOAuthFake::Facebook() {
  FakeGrants::AuthorizeRules rules{client_id_, false,
                                   "error=access_denied&error_code=200&error_description=Permissions+error&"
                                   "error_reason=user_denied",
                                   "fbcode-", "<h1>Sorry, something went wrong.</h1>", true};
  server_.server().Get("/v21.0/dialog/oauth", [this, rules](const httplib::Request& req, httplib::Response& res) {
    grants_.Authorize(req, res, rules);
  });

  server_.server().Get("/v21.0/oauth/access_token", [this](const httplib::Request& req, httplib::Response& res) {
    if (!AppOk(req, res, true)) return;
    if (GraphParam(req, "grant_type") == "fb_exchange_token") {
      std::string user = GraphParam(req, "fb_exchange_token");
      if (!grants_.ValidAccess(user) || KindOf(user) == Kind::kPage) {
        return WriteGraphError(res, 400, 190, "Error validating access token: Session has expired or is invalid.");
      }
      std::string token = grants_.IssueAccess("fbuser-long-", kLongLivedUser);
      std::lock_guard lock(mu_);
      kinds_[token] = Kind::kLongUser;
      return Answer(res, {{"access_token", token}, {"token_type", "bearer"}, {"expires_in", kLongLivedUser}});
    }
    auto code = grants_.Spend(GraphParam(req, "code"), kCodeLifetime);
    if (!code) return WriteGraphError(res, 400, 100, "This authorization code has been used.");
    if (code->redirect_uri != GraphParam(req, "redirect_uri")) {
      return WriteGraphError(res, 400, 100, "Error validating verification code. Please make sure your redirect_uri "
                                            "is identical to the one you used in the OAuth dialog request");
    }
    std::string token = grants_.IssueAccess("fbuser-short-", kShortLived);
    std::lock_guard lock(mu_);
    ++exchanges_;
    kinds_[token] = Kind::kShortUser;
    Answer(res, {{"access_token", token}, {"token_type", "bearer"}, {"expires_in", kShortLived}});
  });

  server_.server().Get("/v21.0/me/accounts", [this](const httplib::Request& req, httplib::Response& res) {
    std::string user = Given(req);
    if (req.has_param("access_token")) {
      std::lock_guard lock(mu_);
      ++token_in_url_;
    }
    if (!grants_.ValidAccess(user) || KindOf(user) == Kind::kPage) {
      return WriteGraphError(res, 400, 190, "Error validating access token: The user has not authorized application.");
    }
    std::vector<Page> pages;
    {
      std::lock_guard lock(mu_);
      pages = pages_;
    }
    // Paged as Graph pages: `limit` (default 25), an opaque `after` cursor,
    // and `paging.next` only when more follow.
    size_t limit = req.has_param("limit") ? std::stoul(req.get_param_value("limit")) : 25;
    size_t from = 0;
    if (req.has_param("after")) {
      const std::string after = req.get_param_value("after");
      if (!after.starts_with("cur-")) return WriteGraphError(res, 400, 100, "Invalid cursor");
      from = std::stoul(after.substr(4));
    }
    json data = json::array();
    for (size_t i = from; i < pages.size() && i < from + limit; ++i) {
      const Page& p = pages[i];
      std::string token = grants_.IssueAccess("fbpage-" + p.id + "-", kPageToken);
      std::lock_guard lock(mu_);
      kinds_[token] = Kind::kPage;
      page_of_[token] = p.id;
      json item = {{"id", p.id}, {"name", p.name}, {"access_token", token}, {"category", "Brand"}};
      if (!p.instagram_id.empty()) item["instagram_business_account"] = {{"id", p.instagram_id}};
      data.push_back(item);
    }
    {
      std::lock_guard lock(mu_);
      ++page_lists_;
    }
    json paging = {{"cursors", {{"before", "cur-" + std::to_string(from)},
                                {"after", "cur-" + std::to_string(std::min(pages.size(), from + limit))}}}};
    if (from + limit < pages.size()) {
      // Where a real answer points; herald must not follow it.
      paging["next"] = "http://169.254.169.254/v21.0/me/accounts?after=cur-" + std::to_string(from + limit);
    }
    Answer(res, {{"data", data}, {"paging", paging}});
  });
}

void MetaOAuthFake::Threads() {
  FakeGrants::AuthorizeRules rules{client_id_, false,
                                   "error=access_denied&error_reason=user_denied&error_description=Permissions+error",
                                   "thcode-", "<h1>Something went wrong</h1>"};
  server_.server().Get("/oauth/authorize", [this, rules](const httplib::Request& req, httplib::Response& res) {
    grants_.Authorize(req, res, rules);
  });

  server_.server().Post("/oauth/access_token", [this](const httplib::Request& req, httplib::Response& res) {
    if (!AppOk(req, res, true)) return;
    if (GraphParam(req, "grant_type") != "authorization_code") {
      return WriteGraphError(res, 400, 100, "Unsupported grant_type");
    }
    auto code = grants_.Spend(GraphParam(req, "code"), kCodeLifetime);
    if (!code) return WriteGraphError(res, 400, 100, "Invalid verification code format.");
    if (code->redirect_uri != GraphParam(req, "redirect_uri")) {
      return WriteGraphError(res, 400, 100, "Error validating verification code. Please make sure your redirect_uri "
                                            "is identical to the one you used in the OAuth dialog request");
    }
    std::string token = grants_.IssueAccess("thshort-", kShortLived);
    std::lock_guard lock(mu_);
    ++exchanges_;
    kinds_[token] = Kind::kShortUser;
    Answer(res, {{"access_token", token}, {"user_id", std::stoll(user_id_)}});
  });

  server_.server().Get("/access_token", [this](const httplib::Request& req, httplib::Response& res) {
    if (!AppOk(req, res, false)) return;
    std::string given = GraphParam(req, "access_token");
    if (GraphParam(req, "grant_type") != "th_exchange_token" || !grants_.ValidAccess(given) ||
        KindOf(given) != Kind::kShortUser) {
      return WriteGraphError(res, 400, 190, "Error validating access token: Session has expired or is invalid.");
    }
    int expires_in;
    {
      std::lock_guard lock(mu_);
      expires_in = expires_in_;
    }
    std::string token = grants_.IssueAccess("thlong-", expires_in);
    std::lock_guard lock(mu_);
    kinds_[token] = Kind::kLongUser;
    Answer(res, {{"access_token", token}, {"token_type", "bearer"}, {"expires_in", expires_in}});
  });

  server_.server().Get("/refresh_access_token", [this](const httplib::Request& req, httplib::Response& res) {
    std::string given = GraphParam(req, "access_token");
    if (GraphParam(req, "grant_type") != "th_refresh_token" || !grants_.ValidAccess(given) ||
        KindOf(given) != Kind::kLongUser) {
      std::lock_guard lock(mu_);
      ++refused_refreshes_;
      return WriteGraphError(res, 400, 190, "Error validating access token: The user has not authorized application.");
    }
    int expires_in;
    {
      std::lock_guard lock(mu_);
      expires_in = expires_in_;
    }
    grants_.Revoke(given);
    std::string token = grants_.IssueAccess("thlong-", expires_in);
    std::lock_guard lock(mu_);
    ++refreshes_;
    kinds_[token] = Kind::kLongUser;
    Answer(res, {{"access_token", token}, {"token_type", "bearer"}, {"expires_in", expires_in}});
  });
}

void MetaOAuthFake::SetPages(std::vector<Page> pages) {
  std::lock_guard lock(mu_);
  pages_ = std::move(pages);
}

void MetaOAuthFake::SetUserId(std::string user_id) {
  std::lock_guard lock(mu_);
  user_id_ = std::move(user_id);
}

void MetaOAuthFake::SetExpiresIn(int seconds) {
  std::lock_guard lock(mu_);
  expires_in_ = seconds;
}

bool MetaOAuthFake::ValidFor(const std::string& token, const std::string& page_id) const {
  if (!grants_.ValidAccess(token)) return false;
  std::lock_guard lock(mu_);
  auto kind = kinds_.find(token);
  if (kind == kinds_.end()) return false;
  if (which_ == Server::kThreads) return kind->second == Kind::kLongUser;
  auto page = page_of_.find(token);
  return kind->second == Kind::kPage && page != page_of_.end() && (page_id.empty() || page->second == page_id);
}

int MetaOAuthFake::CodeExchanges() const {
  std::lock_guard lock(mu_);
  return exchanges_;
}

int MetaOAuthFake::Refreshes() const {
  std::lock_guard lock(mu_);
  return refreshes_;
}

int MetaOAuthFake::RefusedRefreshes() const {
  std::lock_guard lock(mu_);
  return refused_refreshes_;
}

int MetaOAuthFake::PageLists() const {
  std::lock_guard lock(mu_);
  return page_lists_;
}

int MetaOAuthFake::PageListsWithTokenInUrl() const {
  std::lock_guard lock(mu_);
  return token_in_url_;
}

}  // namespace herald::testing
