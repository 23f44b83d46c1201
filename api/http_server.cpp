#include "api/http_server.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <regex>

#include "api/internal/console_files.h"
#include "api/internal/endpoints.h"
#include "api/internal/http_transport.h"
#include "api/internal/request_counters.h"
#include "api/internal/response_recorder.h"

namespace herald::api {
namespace {

using internal::ApiResponse;
using internal::Call;
using internal::Endpoints;
using internal::MakeProblem;
using internal::ProblemResponse;

using Handler = ApiResponse (Endpoints::*)(const Call&);

struct Route {
  std::string method;
  std::string name;  // the path template, the route label in /metrics
  std::regex pattern;
  Handler handler;  // null for /healthz, which needs no caller
  bool open = false;  // no bearer token: the handler gets an empty caller (the OAuth callback)
};

std::vector<Route> MakeRoutes() {
  auto r = [](std::string method, std::string name, std::string pattern, Handler h) {
    return Route{std::move(method), std::move(name), std::regex(pattern), h};
  };
  const std::string id = "([^/]+)";
  return {
      r("GET", "/healthz", "/healthz", nullptr),
      r("GET", "/metrics", "/metrics", &Endpoints::Metrics),
      r("POST", "/v1/posts", "/v1/posts", &Endpoints::CreatePost),
      r("GET", "/v1/posts", "/v1/posts", &Endpoints::ListPosts),
      r("GET", "/v1/posts/{id}", "/v1/posts/" + id, &Endpoints::GetPost),
      r("PATCH", "/v1/posts/{id}", "/v1/posts/" + id, &Endpoints::EditPost),
      r("POST", "/v1/posts/dry-run", "/v1/posts/dry-run", &Endpoints::DryRunNew),
      r("POST", "/v1/posts/batch", "/v1/posts/batch", &Endpoints::CreateBatch),
      r("POST", "/v1/posts/{id}/dry-run", "/v1/posts/" + id + "/dry-run", &Endpoints::DryRunPost),
      r("POST", "/v1/posts/{id}/approve", "/v1/posts/" + id + "/approve", &Endpoints::Approve),
      r("POST", "/v1/posts/{id}/reject", "/v1/posts/" + id + "/reject", &Endpoints::Reject),
      r("POST", "/v1/posts/{id}/cancel", "/v1/posts/" + id + "/cancel", &Endpoints::Cancel),
      r("GET", "/v1/accounts", "/v1/accounts", &Endpoints::Accounts),
      r("GET", "/v1/accounts/{id}/slots", "/v1/accounts/" + id + "/slots", &Endpoints::Slots),
      r("GET", "/v1/accounts/{id}/closed", "/v1/accounts/" + id + "/closed", &Endpoints::Closed),
      r("POST", "/v1/accounts/{id}/connect", "/v1/accounts/" + id + "/connect", &Endpoints::Connect),
      Route{"GET", "/v1/oauth/callback", std::regex("/v1/oauth/callback"), &Endpoints::OAuthCallback, true},
      r("GET", "/v1/me", "/v1/me", &Endpoints::Me),
      r("GET", "/v1/policy", "/v1/policy", &Endpoints::Policy),
      r("GET", "/v1/audit", "/v1/audit", &Endpoints::Audit),
      r("GET", "/v1/export/posts", "/v1/export/posts", &Endpoints::ExportPosts),
      r("GET", "/v1/export/audit", "/v1/export/audit", &Endpoints::ExportAudit),
      r("GET", "/v1/posts/{id}/engagement", "/v1/posts/" + id + "/engagement", &Endpoints::PostEngagement),
      r("GET", "/v1/engagement", "/v1/engagement", &Endpoints::EngagementRollup),
      r("GET", "/v1/inbox", "/v1/inbox", &Endpoints::ListInbox),
      r("GET", "/v1/inbox/{id}", "/v1/inbox/" + id, &Endpoints::GetInboxItem),
      r("POST", "/v1/inbox/{id}/assign", "/v1/inbox/" + id + "/assign", &Endpoints::AssignInboxItem),
      r("POST", "/v1/inbox/{id}/dismiss", "/v1/inbox/" + id + "/dismiss", &Endpoints::DismissInboxItem),
      r("POST", "/v1/inbox/{id}/reopen", "/v1/inbox/" + id + "/reopen", &Endpoints::ReopenInboxItem),
      r("POST", "/v1/inbox/{id}/reply", "/v1/inbox/" + id + "/reply", &Endpoints::ReplyToInboxItem),
      r("GET", "/v1/events", "/v1/events", &Endpoints::Events),
      r("GET", "/v1/events/deliveries", "/v1/events/deliveries", &Endpoints::EventDeliveries),
      r("POST", "/v1/events/deliveries/{id}/retry", "/v1/events/deliveries/" + id + "/retry", &Endpoints::RetryDelivery),
  };
}

struct Match {
  const Route* route = nullptr;     // null: no route for this method
  std::string name = "unmatched";   // the path template, when the path is known
  std::vector<std::string> params;
  std::string allow;                // methods the path takes, when the method is wrong
};

Match Find(const std::vector<Route>& routes, std::string method, const std::string& path) {
  if (method == "HEAD") method = "GET";
  Match m;
  for (const auto& route : routes) {
    std::smatch captures;
    if (!std::regex_match(path, captures, route.pattern)) continue;
    m.name = route.name;
    if (route.method == method) {
      m.route = &route;
      for (size_t i = 1; i < captures.size(); ++i) m.params.push_back(captures[i].str());
      return m;
    }
    m.allow += (m.allow.empty() ? "" : ", ") + route.method;
  }
  return m;
}

// "Bearer <token>" with a case-insensitive scheme; empty when absent or malformed.
std::string BearerToken(const std::string& header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  }
  std::string token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  while (!token.empty() && token.back() == ' ') token.pop_back();
  if (token.find_first_of(" \t") != std::string::npos) return {};
  return token;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(runtime::Service& service, TokenSet tokens, HttpServerOptions options)
      : options_(std::move(options)),
        tokens_(std::make_shared<const TokenSet>(std::move(tokens))),
        endpoints_(service, counters_, options_.account_connect),
        routes_(MakeRoutes()),
        recorder_(internal::ResponseRecorder::FromEnvironment()) {}

  Result<void> Start(ListenSocket socket);
  void Stop();
  int port() const { return port_; }
  const std::string& listen() const { return options_.listen; }
  void ReplaceTokens(TokenSet tokens) {
    auto fresh = std::make_shared<const TokenSet>(std::move(tokens));
    std::lock_guard lock(tokens_mu_);
    tokens_ = std::move(fresh);
  }

 private:
  ApiResponse Serve(const httplib::Request& req);
  ApiResponse Dispatch(const httplib::Request& req, const Match& match);
  std::optional<runtime::Caller> Authenticate(const httplib::Request& req, ApiResponse& unauthorized);
  // The largest body a request target may send: batches take more.
  size_t BodyLimit(std::string_view target) const {
    std::string_view path = target.substr(0, target.find('?'));
    return path == "/v1/posts/batch" ? std::max(options_.max_batch_bytes, options_.max_body_bytes)
                                     : options_.max_body_bytes;
  }
  void LogError(std::string_view message) {
    if (options_.log_error) options_.log_error(message);
  }

  HttpServerOptions options_;
  mutable std::mutex tokens_mu_;
  std::shared_ptr<const TokenSet> tokens_;  // guarded by tokens_mu_; the set itself is immutable
  internal::RequestCounters counters_;
  Endpoints endpoints_;
  const std::vector<Route> routes_;
  const std::unique_ptr<internal::ResponseRecorder> recorder_;  // null unless a test asks for it
  std::unique_ptr<internal::HttpTransport> transport_;  // set by Start
  int port_ = 0;
};

Result<void> HttpServer::Impl::Start(ListenSocket socket) {
  internal::TransportOptions transport;
  transport.request_timeout = options_.request_timeout;
  transport.write_timeout = options_.request_timeout;
  transport.max_connections = options_.max_connections;
  transport.max_requests_per_connection = options_.max_requests_per_connection;
  transport.max_body_bytes = options_.max_body_bytes;
  transport.body_limit_for = [this](std::string_view target) { return BodyLimit(target); };
  transport.threads = options_.threads;
  port_ = socket.port();
  transport_ = std::make_unique<internal::HttpTransport>(
      transport, [this](const httplib::Request& req) { return Serve(req); });
  if (auto r = transport_->Start(std::move(socket)); !r) {
    transport_.reset();
    port_ = 0;
    return r;
  }
  return {};
}

void HttpServer::Impl::Stop() {
  if (transport_) transport_->Stop();
}

std::optional<runtime::Caller> HttpServer::Impl::Authenticate(const httplib::Request& req, ApiResponse& unauthorized) {
  std::string header = req.get_header_value("Authorization");
  std::string token = BearerToken(header);
  std::shared_ptr<const TokenSet> tokens;
  {
    std::lock_guard lock(tokens_mu_);
    tokens = tokens_;
  }
  if (!token.empty()) {
    if (auto caller = tokens->Verify(token)) return caller;
  }
  bool missing = header.empty();
  unauthorized = ProblemResponse(MakeProblem(
      401, "unauthenticated",
      missing ? "this endpoint needs an API token: send Authorization: Bearer <token> (herald token add makes one)"
              : "the API token is not valid (or the header is not \"Bearer <token>\"); ask an admin for a new one"));
  unauthorized.headers.emplace_back(
      "WWW-Authenticate", missing ? "Bearer realm=\"herald\"" : "Bearer realm=\"herald\", error=\"invalid_token\"");
  return std::nullopt;
}

ApiResponse HttpServer::Impl::Dispatch(const httplib::Request& req, const Match& match) {
  if (!match.route) {
    if (!match.allow.empty()) {
      ApiResponse r = ProblemResponse(
          MakeProblem(405, "method-not-allowed", req.method + " is not allowed on " + req.path + "; use " + match.allow));
      r.headers.emplace_back("Allow", match.allow);
      return r;
    }
    return ProblemResponse(MakeProblem(404, "no-route", "no endpoint " + req.path + "; the API lives under /v1"));
  }
  if (size_t limit = BodyLimit(req.path); req.body.size() > limit) {
    return ProblemResponse(
        MakeProblem(413, "too-large", "the request body is larger than " + std::to_string(limit) + " bytes"));
  }
  if (!match.route->handler) return endpoints_.Health();
  if (match.route->open) return (endpoints_.*(match.route->handler))(Call{runtime::Caller{}, req, match.params});
  ApiResponse unauthorized;
  auto caller = Authenticate(req, unauthorized);
  if (!caller) return unauthorized;
  return (endpoints_.*(match.route->handler))(Call{*caller, req, match.params});
}

ApiResponse HttpServer::Impl::Serve(const httplib::Request& req) {
  auto started = std::chrono::steady_clock::now();
  if (req.method == "GET" || req.method == "HEAD") {
    // The web console: static files, no token (it signs in through the API).
    if (auto file = internal::ConsoleFile(req.path, req.get_header_value("If-None-Match"))) return *file;
  }
  Match match = Find(routes_, req.method, req.path);
  ApiResponse answer;
  // The edge: nothing a request does may take the server down.
  try {
    answer = Dispatch(req, match);
  } catch (const std::exception& e) {
    LogError("exception answering " + req.method + " " + req.path + ": " + e.what());
    answer = internal::StatusResponse(Status(Code::kInternal, e.what()));
  } catch (...) {
    LogError("unknown exception answering " + req.method + " " + req.path);
    answer = internal::StatusResponse(Status(Code::kInternal, "unknown exception"));
  }
  if (answer.status >= 500) LogError(req.method + " " + req.path + " answered " + std::to_string(answer.status));
  counters_.Count(match.name, req.method, answer.status);
  if (match.route) counters_.Observe(match.name, std::chrono::steady_clock::now() - started);
  if (recorder_ && !answer.stream) {
    recorder_->Record(req.method, match.name, req.path, answer.status, answer.content_type, answer.body);
  }
  return answer;
}

HttpServer::HttpServer(runtime::Service& service, TokenSet tokens, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(tokens), std::move(options))) {}
HttpServer::~HttpServer() { Stop(); }
Result<void> HttpServer::Start() {
  auto socket = Listen(impl_->listen());
  if (!socket) return std::unexpected(socket.error());
  return impl_->Start(std::move(*socket));
}
Result<void> HttpServer::Start(ListenSocket socket) { return impl_->Start(std::move(socket)); }
int HttpServer::port() const { return impl_->port(); }
void HttpServer::Stop() { impl_->Stop(); }
void HttpServer::ReplaceTokens(TokenSet tokens) { impl_->ReplaceTokens(std::move(tokens)); }

}  // namespace herald::api
