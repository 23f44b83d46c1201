#include "api/http_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <regex>
#include <thread>

#include "api/internal/console_files.h"
#include "api/internal/endpoints.h"
#include "api/internal/request_counters.h"

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
      r("POST", "/v1/posts/{id}/dry-run", "/v1/posts/" + id + "/dry-run", &Endpoints::DryRunPost),
      r("POST", "/v1/posts/{id}/approve", "/v1/posts/" + id + "/approve", &Endpoints::Approve),
      r("POST", "/v1/posts/{id}/reject", "/v1/posts/" + id + "/reject", &Endpoints::Reject),
      r("POST", "/v1/posts/{id}/cancel", "/v1/posts/" + id + "/cancel", &Endpoints::Cancel),
      r("GET", "/v1/accounts", "/v1/accounts", &Endpoints::Accounts),
      r("GET", "/v1/accounts/{id}/slots", "/v1/accounts/" + id + "/slots", &Endpoints::Slots),
      r("GET", "/v1/me", "/v1/me", &Endpoints::Me),
      r("GET", "/v1/policy", "/v1/policy", &Endpoints::Policy),
      r("GET", "/v1/audit", "/v1/audit", &Endpoints::Audit),
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

void Write(const ApiResponse& from, httplib::Response& to) {
  to.status = from.status;
  for (const auto& [name, value] : from.headers) to.set_header(name, value);
  to.set_content(from.body, from.content_type);
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
        endpoints_(service, counters_),
        routes_(MakeRoutes()) {}

  Result<void> Start();
  void Stop();
  int port() const { return port_; }
  void ReplaceTokens(TokenSet tokens) {
    auto fresh = std::make_shared<const TokenSet>(std::move(tokens));
    std::lock_guard lock(tokens_mu_);
    tokens_ = std::move(fresh);
  }

 private:
  void Serve(const httplib::Request& req, httplib::Response& res);
  ApiResponse Dispatch(const httplib::Request& req, const Match& match);
  std::optional<runtime::Caller> Authenticate(const httplib::Request& req, ApiResponse& unauthorized);
  void LogError(std::string_view message) {
    if (options_.log_error) options_.log_error(message);
  }

  HttpServerOptions options_;
  mutable std::mutex tokens_mu_;
  std::shared_ptr<const TokenSet> tokens_;  // guarded by tokens_mu_; the set itself is immutable
  internal::RequestCounters counters_;
  Endpoints endpoints_;
  const std::vector<Route> routes_;
  httplib::Server server_;
  std::thread listener_;
  std::atomic<bool> listener_done_{false};
  int port_ = 0;
  std::mutex stop_mu_;  // serialises Stop()
};

Result<void> HttpServer::Impl::Start() {
  const std::string& listen = options_.listen;
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return InvalidArgument("listen address \"" + listen + "\" must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  for (char c : listen.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) {
      return InvalidArgument("listen address \"" + listen + "\": the port must be a number from 0 to 65535");
    }
    port = port * 10 + (c - '0');
  }
  if (port > 65535) return InvalidArgument("listen address \"" + listen + "\": the port must be from 0 to 65535");

  int threads = std::max(1, options_.threads);
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server_.set_payload_max_length(options_.max_body_bytes);
  // Answers are small and written in pieces: without this, Nagle's algorithm
  // and delayed ACKs hold each keep-alive answer for about 40 ms.
  server_.set_tcp_nodelay(true);
  server_.set_read_timeout(10, 0);
  server_.set_write_timeout(10, 0);

  auto serve = [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); };
  server_.Get(".*", serve);
  server_.Post(".*", serve);
  server_.Put(".*", serve);
  server_.Patch(".*", serve);
  server_.Delete(".*", serve);
  server_.Options(".*", serve);
  // Errors httplib answers itself (413, malformed requests) get a problem body too.
  const std::string too_large = "the request body is larger than " + std::to_string(options_.max_body_bytes) +
                                " bytes; send a smaller post";
  server_.set_error_handler(httplib::Server::HandlerWithResponse([too_large](const httplib::Request&,
                                                                             httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string detail = res.status == 413 ? too_large : "the request could not be read as HTTP";
    Write(ProblemResponse(MakeProblem(res.status, res.status == 413 ? "too-large" : "bad-request", detail)), res);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server_.set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    LogError("unhandled exception answering " + req.method + " " + req.path);
    Write(internal::StatusResponse(Status(Code::kInternal, "exception")), res);
  });
  server_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    counters_.Count(Find(routes_, req.method, req.path).name, req.method, res.status);
  });

  if (port == 0) {
    port_ = server_.bind_to_any_port(host);
    if (port_ <= 0) {
      port_ = 0;
      return Error(Code::kUnavailable, "cannot listen on " + listen + ": no free port on that address");
    }
  } else {
    if (!server_.bind_to_port(host, port)) {
      return Error(Code::kUnavailable, "cannot listen on " + listen + ": address in use or not local");
    }
    port_ = port;
  }
  listener_done_ = false;
  listener_ = std::thread([this] {
    server_.listen_after_bind();
    listener_done_ = true;
  });
  // httplib's stop() is a no-op until the accept loop runs, so a Stop() right
  // after Start() would hang: wait for the loop (a few microseconds).
  while (!server_.is_running() && !listener_done_) std::this_thread::sleep_for(std::chrono::microseconds(100));
  if (listener_done_) {
    listener_.join();
    return Error(Code::kUnavailable, "cannot serve on " + listen + ": the accept loop ended at once");
  }
  return {};
}

void HttpServer::Impl::Stop() {
  std::lock_guard lock(stop_mu_);
  if (!listener_.joinable()) return;
  // stop() closes the listening socket; listen_after_bind then drains the
  // thread pool, so requests in flight finish before the join returns.
  server_.stop();
  listener_.join();
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
  if (req.body.size() > options_.max_body_bytes) {
    return ProblemResponse(MakeProblem(413, "too-large", "the request body is larger than " +
                                                           std::to_string(options_.max_body_bytes) + " bytes"));
  }
  if (!match.route->handler) return endpoints_.Health();
  ApiResponse unauthorized;
  auto caller = Authenticate(req, unauthorized);
  if (!caller) return unauthorized;
  return (endpoints_.*(match.route->handler))(Call{*caller, req, match.params});
}

void HttpServer::Impl::Serve(const httplib::Request& req, httplib::Response& res) {
  auto started = std::chrono::steady_clock::now();
  if (req.method == "GET" || req.method == "HEAD") {
    // The web console: static files, no token (it signs in through the API).
    if (auto file = internal::ConsoleFile(req.path, req.get_header_value("If-None-Match"))) {
      Write(*file, res);
      return;
    }
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
  Write(answer, res);
  if (match.route) counters_.Observe(match.name, std::chrono::steady_clock::now() - started);
}

HttpServer::HttpServer(runtime::Service& service, TokenSet tokens, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(tokens), std::move(options))) {}
HttpServer::~HttpServer() { Stop(); }
Result<void> HttpServer::Start() { return impl_->Start(); }
int HttpServer::port() const { return impl_->port(); }
void HttpServer::Stop() { impl_->Stop(); }
void HttpServer::ReplaceTokens(TokenSet tokens) { impl_->ReplaceTokens(std::move(tokens)); }

}  // namespace herald::api
