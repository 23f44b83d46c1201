#include "tests/support/fake_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace herald::testing {
namespace {
// Pre-routing, the handler and post-routing of one request run on one thread.
thread_local std::chrono::milliseconds stall_after_handler{0};
thread_local bool recorded_early = false;
}  // namespace

std::string RecordedRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string RecordedRequest::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

FakeServer::FakeServer() {
  server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    Fault fault;
    stall_after_handler = {};
    recorded_early = false;
    if (!TakeFault(req, fault)) return httplib::Server::HandlerResponse::Unhandled;
    if (fault.act_then_stall) {
      stall_after_handler = fault.delay;
      return httplib::Server::HandlerResponse::Unhandled;
    }
    // Faulted: recorded now (without its body, which is never read), before any
    // delay, so a client that gave up waiting still finds it in Requests().
    Record(req);
    recorded_early = true;
    if (fault.delay.count() > 0) std::this_thread::sleep_for(fault.delay);
    res.status = fault.status;
    for (const auto& [k, v] : fault.headers) res.set_header(k, v);
    res.set_content(fault.body, fault.content_type);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Recorded after routing, when cpp-httplib has read the body (it reads it
  // after the pre-routing handler; a faulted request's body is not read).
  server_.set_post_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    if (!recorded_early) Record(req);
    recorded_early = false;
    if (stall_after_handler.count() > 0) std::this_thread::sleep_for(stall_after_handler);
    stall_after_handler = {};
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error("fake server: cannot bind a loopback port");
}

void FakeServer::Record(const httplib::Request& req) {
  RecordedRequest r;
  r.method = req.method;
  r.path = req.path;
  r.body = req.body;
  r.headers.insert(req.headers.begin(), req.headers.end());
  for (const auto& [k, v] : req.params) r.params.emplace(k, v);
  if (req.get_header_value("Content-Type").find("application/x-www-form-urlencoded") != std::string::npos) {
    httplib::detail::parse_query_text(req.body, r.params);
  }
  std::lock_guard lock(mu_);
  requests_.push_back(std::move(r));
}

void FakeServer::Start() {
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  // cpp-httplib 0.11 has no wait_until_ready: the socket is bound already, so
  // connections queue until the loop runs; wait for it briefly all the same.
  for (int i = 0; i < 2000 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds{1});
}

FakeServer::~FakeServer() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

void FakeServer::FailNext(Fault fault, int times) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < times; ++i) faults_.push_back(fault);
}

bool FakeServer::TakeFault(const httplib::Request& req, Fault& out) {
  std::lock_guard lock(mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->path_contains.empty() || req.path.find(it->path_contains) != std::string::npos) {
      out = *it;
      faults_.erase(it);
      return true;
    }
  }
  return false;
}

std::vector<RecordedRequest> FakeServer::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int FakeServer::Count(const std::string& path_contains) const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& r : requests_)
    if (r.path.find(path_contains) != std::string::npos) ++n;
  return n;
}

SilentDropServer::SilentDropServer() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0) {
    throw std::runtime_error("silent drop server: cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++accepted_;
      // Read the whole request (until the client has sent everything and goes
      // quiet), so the client never sees a write fail: it sent, then got nothing.
      char buf[4096];
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
      bool got_any = false;
      while (std::chrono::steady_clock::now() < deadline) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, got_any ? 100 : 1000) <= 0) break;
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        got_any = true;
      }
      ::close(c);
    }
  });
}

SilentDropServer::~SilentDropServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

int UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // closed without listen: connecting is refused
  return ntohs(addr.sin_port);
}

}  // namespace herald::testing
