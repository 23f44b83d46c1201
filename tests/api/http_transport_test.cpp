// The HTTP transport alone, on a real loopback socket with a handler that
// echoes the path: request deadlines, the connection cap, keep-alive limits,
// size caps and streamed answers.
#include "api/internal/http_transport.h"

#include <catch2/catch.hpp>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "api/listen_socket.h"

namespace {

using namespace std::chrono;
using herald::api::internal::ApiResponse;
using herald::api::internal::EventStream;
using herald::api::internal::HttpTransport;
using herald::api::internal::TransportOptions;

// A raw client socket: what httplib::Client would never send.
class Raw {
 public:
  explicit Raw(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Raw() { ::close(fd_); }
  void Send(const std::string& bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // Reads until `until` appears, the peer closes, or `wait` passes. Sets closed().
  std::string Read(milliseconds wait, const std::string& until = "") {
    auto end = steady_clock::now() + wait;
    while (steady_clock::now() < end && (until.empty() || got_.find(until) == std::string::npos)) {
      pollfd p{fd_, POLLIN, 0};
      int left = static_cast<int>(duration_cast<milliseconds>(end - steady_clock::now()).count());
      if (::poll(&p, 1, std::max(left, 0)) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      got_.append(buf, static_cast<size_t>(n));
    }
    return got_;
  }
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  std::string got_;
  bool closed_ = false;
};

struct Server {
  explicit Server(TransportOptions options) : transport(options, [this](const httplib::Request& req) {
    return Handle(req);
  }) {
    auto socket = herald::api::Listen("127.0.0.1:0");
    REQUIRE(socket);
    port = socket->port();
    REQUIRE(transport.Start(std::move(*socket)));
  }

  ApiResponse Handle(const httplib::Request& req) {
    ApiResponse r;
    if (req.path == "/events") {
      r.content_type = "text/event-stream";
      r.stream = [this](std::shared_ptr<EventStream> s) {
        std::lock_guard lock(mu);
        streams.push_back(std::move(s));
      };
      return r;
    }
    r.content_type = "text/plain";
    r.body = req.method + " " + req.path + " q=" + req.get_param_value("q") + " body=" + req.body;
    return r;
  }

  size_t Streams() {
    std::lock_guard lock(mu);
    return streams.size();
  }

  // Waits (polling the server's own count) until `n` connections are open.
  bool WaitForConnections(size_t n) {
    auto end = steady_clock::now() + seconds(5);
    while (transport.open_connections() != n && steady_clock::now() < end) std::this_thread::yield();
    return transport.open_connections() == n;
  }

  std::mutex mu;
  std::vector<std::shared_ptr<EventStream>> streams;  // guarded by mu
  HttpTransport transport;
  int port = 0;
};

TransportOptions Quick() {
  TransportOptions o;
  o.request_timeout = milliseconds(400);
  o.threads = 2;
  return o;
}

}  // namespace

TEST_CASE("Transport: a request is read whole and answered, query and body included", "[transport]") {
  Server s(Quick());
  httplib::Client c("127.0.0.1", s.port);
  auto r = c.Post("/x%20y?q=a%2Bb", "hello", "text/plain");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /x y q=a+b body=hello");
}

TEST_CASE("Transport: a client trickling its head is closed at the deadline, not kept by each byte",
          "[transport]") {
  Server s(Quick());
  Raw slow(s.port);
  auto opened = steady_clock::now();
  slow.Send("GET / HTTP/1.1\r\n");
  // One header line every 100 ms: each read succeeds, the whole head never ends.
  for (int i = 0; i < 30 && !slow.closed(); ++i) {
    slow.Send("X-Slow-" + std::to_string(i) + ": 1\r\n");
    slow.Read(milliseconds(100));
  }
  auto lived = steady_clock::now() - opened;
  CHECK(slow.closed());
  CHECK(lived >= milliseconds(350));
  CHECK(lived < milliseconds(1500));
  // Meanwhile and afterwards, others are served.
  httplib::Client c("127.0.0.1", s.port);
  auto r = c.Get("/after");
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("Transport: slow clients do not hold the handler threads", "[transport]") {
  TransportOptions o = Quick();
  o.request_timeout = seconds(5);
  o.threads = 1;
  Server s(o);
  std::vector<std::unique_ptr<Raw>> slow;
  for (int i = 0; i < 50; ++i) {
    slow.push_back(std::make_unique<Raw>(s.port));
    slow.back()->Send("GET / HTTP/1.1\r\nX-Slow: 1\r\n");
  }
  REQUIRE(s.WaitForConnections(50));
  httplib::Client c("127.0.0.1", s.port);
  auto started = steady_clock::now();
  auto r = c.Get("/fast");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(steady_clock::now() - started < seconds(2));
}

TEST_CASE("Transport: connections beyond the cap get 503 with Retry-After", "[transport]") {
  TransportOptions o = Quick();
  o.request_timeout = seconds(5);
  o.max_connections = 2;
  Server s(o);
  Raw a(s.port), b(s.port);
  REQUIRE(s.WaitForConnections(2));
  Raw third(s.port);
  std::string answer = third.Read(seconds(3), "\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 503"));
  CHECK(answer.find("Retry-After: 1") != std::string::npos);
  third.Read(seconds(3));
  CHECK(third.closed());
  CHECK(s.transport.open_connections() == 2);
}

TEST_CASE("Transport: keep-alive ends after the request limit", "[transport]") {
  TransportOptions o = Quick();
  o.max_requests_per_connection = 2;
  Server s(o);
  Raw c(s.port);
  c.Send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string both = c.Read(seconds(3), "GET /2");
  CHECK(both.find("GET /1") != std::string::npos);
  auto second = both.find("HTTP/1.1 200", both.find("GET /1"));
  REQUIRE(second != std::string::npos);
  CHECK(both.find("Connection: close", second) != std::string::npos);
  c.Read(seconds(3));
  CHECK(c.closed());
}

TEST_CASE("Transport: oversized heads and bodies are refused while reading", "[transport]") {
  TransportOptions o = Quick();
  o.max_body_bytes = 1024;
  o.max_header_bytes = 2048;
  Server s(o);
  SECTION("body") {
    Raw c(s.port);
    c.Send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a'));
    std::string answer = c.Read(seconds(3), "\r\n\r\n");
    CHECK(answer.starts_with("HTTP/1.1 413"));
  }
  SECTION("head") {
    Raw c(s.port);
    c.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
    CHECK(c.Read(seconds(3), "\r\n\r\n").starts_with("HTTP/1.1 431"));
  }
  SECTION("garbage") {
    Raw c(s.port);
    c.Send("NONSENSE\r\n\r\n");
    CHECK(c.Read(seconds(3), "\r\n\r\n").starts_with("HTTP/1.1 400"));
  }
}

TEST_CASE("Transport: a streamed answer flows as it is sent and ends on Close", "[transport]") {
  TransportOptions o = Quick();
  o.threads = 1;
  Server s(o);
  Raw c(s.port);
  c.Send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string head = c.Read(seconds(3), "\r\n\r\n");
  CHECK(head.starts_with("HTTP/1.1 200"));
  CHECK(head.find("Content-Type: text/event-stream") != std::string::npos);
  auto end = steady_clock::now() + seconds(3);
  while (s.Streams() == 0 && steady_clock::now() < end) std::this_thread::yield();
  REQUIRE(s.Streams() == 1);
  auto stream = s.streams.front();
  // Longer than the request deadline: a stream has none.
  CHECK(c.Read(milliseconds(600)).find("data:") == std::string::npos);
  CHECK_FALSE(c.closed());
  CHECK(stream->Send("data: one\n\n"));
  CHECK(c.Read(seconds(3), "data: one\n\n").find("data: one\n\n") != std::string::npos);
  // The one handler thread is free while the stream is open.
  httplib::Client other("127.0.0.1", s.port);
  auto r = other.Get("/plain");
  REQUIRE(r);
  CHECK(r->status == 200);
  stream->Send("data: two\n\n");
  stream->Close();
  std::string all = c.Read(seconds(3));
  CHECK(all.find("data: two\n\n") != std::string::npos);
  CHECK(c.closed());
  CHECK_FALSE(stream->Send("data: late\n\n"));
}

TEST_CASE("Transport: a stream learns that its client left, and Stop ends open streams", "[transport]") {
  Server s(Quick());
  auto wait_for_streams = [&s](size_t n) {
    auto end = steady_clock::now() + seconds(3);
    while (s.Streams() < n && steady_clock::now() < end) std::this_thread::yield();
  };
  {
    Raw gone(s.port);
    gone.Send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    gone.Read(seconds(3), "\r\n\r\n");
    wait_for_streams(1);
  }
  Raw stays(s.port);
  stays.Send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  stays.Read(seconds(3), "\r\n\r\n");
  wait_for_streams(2);
  auto end = steady_clock::now();
  REQUIRE(s.Streams() == 2);
  auto first = s.streams[0];
  end += seconds(3);
  while (first->Send("data: x\n\n") && steady_clock::now() < end) std::this_thread::yield();
  CHECK_FALSE(first->Send("data: x\n\n"));
  s.transport.Stop();
  stays.Read(seconds(3));
  CHECK(stays.closed());
  CHECK_FALSE(s.streams[1]->Send("data: after stop\n\n"));
}
