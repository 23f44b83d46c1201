// HttpClient with HttpConnections: connections kept open and reused, against
// real servers on loopback (cpp-httplib's, and a raw one that closes
// connections when a test says so).
#include <catch2/catch.hpp>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "connectors/http_client.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;

// A cpp-httplib server on `address`:`port` (0: any free port) that notes the
// client port of every request: one per connection.
class CountingServer {
 public:
  explicit CountingServer(const std::string& address, int port = 0) {
    server_.set_keep_alive_max_count(100);
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++requests_;
      ports_.insert(req.remote_port);
      res.set_content("{}", "application/json");
    });
    port_ = port == 0 ? server_.bind_to_any_port(address) : (server_.bind_to_port(address, port) ? port : -1);
    if (port_ > 0) thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~CountingServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t connections() {
    std::lock_guard lock(mu_);
    return ports_.size();
  }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex mu_;
  int requests_ = 0;       // guarded by mu_
  std::set<int> ports_;    // guarded by mu_
};

// A raw HTTP/1.1 server on 127.0.0.1: answers each request with 200 and keeps
// the connection open (no "Connection: close"), then does to the connection
// what the test chose: close it right after answering (as a server whose
// keep-alive ended), or read its next request and close without answering.
class RawServer {
 public:
  enum class After { kCloseAfterAnswer, kSwallowSecondRequest };
  explicit RawServer(After after) : after_(after) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawServer() {
    stop_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  int port() const { return port_; }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int accepted() {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  // Waits until `n` connections were closed by this server.
  void WaitClosed(int n) {
    std::unique_lock lock(mu_);
    closed_changed_.wait_for(lock, seconds{5}, [&] { return closed_ >= n; });
  }

 private:
  // Reads one request (headers and a Content-Length body); false at EOF.
  static bool ReadRequest(int fd) {
    std::string data;
    char buf[4096];
    size_t header_end = std::string::npos;
    size_t want = 0;
    for (;;) {
      if (header_end != std::string::npos && data.size() >= header_end + 4 + want) return true;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<size_t>(n));
      if (header_end == std::string::npos && (header_end = data.find("\r\n\r\n")) != std::string::npos) {
        auto at = data.find("Content-Length: ");
        if (at != std::string::npos && at < header_end) want = std::stoul(data.substr(at + 16));
      }
    }
  }
  void Serve() {
    while (!stop_) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      {
        std::lock_guard lock(mu_);
        ++accepted_;
      }
      int answered = 0;
      while (ReadRequest(fd)) {
        {
          std::lock_guard lock(mu_);
          ++requests_;
        }
        if (after_ == After::kSwallowSecondRequest && answered == 1) break;
        const char* ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        (void)::send(fd, ok, std::strlen(ok), MSG_NOSIGNAL);
        ++answered;
        if (after_ == After::kCloseAfterAnswer) break;
      }
      ::close(fd);
      {
        std::lock_guard lock(mu_);
        ++closed_;
      }
      closed_changed_.notify_all();
    }
  }

  const After after_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable closed_changed_;
  int requests_ = 0;  // guarded by mu_
  int accepted_ = 0;  // guarded by mu_
  int closed_ = 0;    // guarded by mu_
};

HttpRequest Hook(int port, std::optional<std::string> connect_to = std::nullopt, const std::string& host = "127.0.0.1") {
  HttpRequest r;
  r.url = "http://" + host + ":" + std::to_string(port) + "/hook";
  r.body = "{\"n\":1}";
  r.content_type = "application/json";
  r.connect_to = std::move(connect_to);
  return r;
}

HttpClientOptions Options(std::shared_ptr<HttpConnections> connections) {
  HttpClientOptions o;
  o.connect_timeout = milliseconds{2000};
  o.read_timeout = milliseconds{2000};
  o.connections = std::move(connections);
  return o;
}

TEST_CASE("HttpClient: with HttpConnections, requests to one host reuse one connection", "[http_client]") {
  CountingServer server("127.0.0.1");
  REQUIRE(server.port() > 0);
  auto connections = std::make_shared<HttpConnections>();
  // Two clients handed the same connections (two accounts on one receiver).
  HttpClient a(Options(connections)), b(Options(connections));
  for (int i = 0; i < 5; ++i) {
    auto got = (i % 2 == 0 ? a : b).Send(Hook(server.port()));
    REQUIRE(got);
    CHECK(got->status == 200);
  }
  CHECK(server.requests() == 5);
  CHECK(server.connections() == 1);
  CHECK(connections->opened() == 1);
  CHECK(connections->reused() == 4);

  SECTION("without HttpConnections, a connection per request") {
    CountingServer other("127.0.0.1");
    HttpClient plain(Options(nullptr));
    REQUIRE(plain.Send(Hook(other.port())));
    REQUIRE(plain.Send(Hook(other.port())));
    CHECK(other.connections() == 2);
  }
}

TEST_CASE("HttpClient: a connection idle past the idle timeout is not reused", "[http_client]") {
  CountingServer server("127.0.0.1");
  HttpConnections::Options o;
  o.idle_timeout = milliseconds{0};
  auto connections = std::make_shared<HttpConnections>(o);
  HttpClient client(Options(connections));
  REQUIRE(client.Send(Hook(server.port())));
  REQUIRE(client.Send(Hook(server.port())));
  CHECK(server.connections() == 2);
  CHECK(connections->reused() == 0);
}

TEST_CASE("HttpClient: a kept connection the server closed meanwhile is replaced, the request sent once", "[http_client]") {
  RawServer server(RawServer::After::kCloseAfterAnswer);
  auto connections = std::make_shared<HttpConnections>();
  HttpClient client(Options(connections));
  auto first = client.Send(Hook(server.port()));
  REQUIRE(first);
  CHECK(first->status == 200);
  server.WaitClosed(1);  // its keep-alive ended while the connection was idle
  auto second = client.Send(Hook(server.port()));
  REQUIRE(second);
  CHECK(second->status == 200);
  CHECK(server.requests() == 2);  // each request arrived once
  CHECK(server.accepted() == 2);
}

TEST_CASE("HttpClient: a request that may have been written on a kept connection is kNoAnswer, never sent again",
          "[http_client]") {
  RawServer server(RawServer::After::kSwallowSecondRequest);
  auto connections = std::make_shared<HttpConnections>();
  HttpClient client(Options(connections));
  REQUIRE(client.Send(Hook(server.port())));
  auto second = client.Send(Hook(server.port()));
  REQUIRE_FALSE(second);
  CHECK(second.error().kind == HttpFailure::Kind::kNoAnswer);
  CHECK(connections->reused() == 1);
  server.WaitClosed(1);
  CHECK(server.requests() == 2);  // the server read it: it must not come again
  CHECK(server.accepted() == 1);
}

TEST_CASE("HttpClient: a kept connection goes only where its pinned address says", "[http_client]") {
  CountingServer first("127.0.0.1");
  REQUIRE(first.port() > 0);
  // The same port on another loopback address: the same URL, pinned elsewhere.
  CountingServer second("127.0.0.2", first.port());
  REQUIRE(second.port() == first.port());
  auto connections = std::make_shared<HttpConnections>();
  HttpClient client(Options(connections));
  const std::string host = "receiver.example";
  REQUIRE(client.Send(Hook(first.port(), "127.0.0.1", host)));
  REQUIRE(client.Send(Hook(first.port(), "127.0.0.2", host)));
  REQUIRE(client.Send(Hook(first.port(), "127.0.0.1", host)));
  CHECK(first.requests() == 2);
  CHECK(second.requests() == 1);
  CHECK(first.connections() == 1);  // the third reused the first's connection
  CHECK(connections->opened() == 2);
}

}  // namespace
}  // namespace herald::connectors
