// FakeServer: the base of every fake platform in tests/connectors/. A real
// cpp-httplib server on a free loopback port, on its own thread, that records
// every request and can be told to answer the next requests with a fault
// (a status with headers and body, a delay, or a closed connection) before
// its platform handlers see them. Platform fakes register their documented
// endpoints on server() before Start().
//
// Thread-safe: requests are served on the server's threads; Requests(),
// FailNext() and Count() may be called from the test thread at any time.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace herald::testing {

struct RecordedRequest {
  std::string method;
  std::string path;
  std::string body;
  std::multimap<std::string, std::string> params;  // query and form fields
  std::multimap<std::string, std::string, httplib::detail::ci> headers;
  std::string Header(const std::string& name) const;
  std::string Param(const std::string& name) const;
};

struct Fault {
  int status = 503;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // JSON unless content_type says otherwise
  std::string content_type = "application/json";
  std::chrono::milliseconds delay{0};  // before answering (longer than the client's read timeout: no answer)
  // The platform's handler runs (the post is created), then the answer is held
  // for `delay`: with a delay beyond the client's read timeout, the client
  // cannot know that the platform acted.
  bool act_then_stall = false;
  std::string path_contains;           // only requests whose path contains this (empty: any)
};

class FakeServer {
 public:
  FakeServer();
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  httplib::Server& server() { return server_; }
  void Start();
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // The next matching request gets `fault` instead of (or, with
  // close_without_answer, after) the platform's handler. Queued in order.
  void FailNext(Fault fault, int times = 1);
  // Every request received, in order: faulted ones when they arrive (without
  // their body: cpp-httplib reads a body only for requests that reach a
  // handler), the others once their handler ran.
  std::vector<RecordedRequest> Requests() const;
  int Count(const std::string& path_contains) const;

 private:
  bool TakeFault(const httplib::Request& req, Fault& out);
  void Record(const httplib::Request& req);

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;  // guarded by mu_
  std::deque<Fault> faults_;               // guarded by mu_
};

// A TCP listener that reads a request and closes the connection without a
// byte of answer: the client cannot know whether it was acted on.
class SilentDropServer {
 public:
  SilentDropServer();
  ~SilentDropServer();
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// A loopback port with nothing listening (connection refused: not sent).
int UnusedPort();

}  // namespace herald::testing
