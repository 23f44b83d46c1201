// LoopbackClient: the load generator's HTTP/1.1 client for one keep-alive
// connection to 127.0.0.1, with nothing on the way that the daemon does not
// need: one write of a request whose head is written once, and a read of the
// answer's status, Content-Length and body. cpp-httplib's client builds a
// header map, a request and a response object per call, and on this
// 2-core machine every microsecond the generator spends is one the daemon
// does not get. Each create is still a whole HTTP request on its own.
//
// Not thread-safe: one per connection (thread).
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

class LoopbackClient {
 public:
  // The head sent before every body: `path` with these header lines
  // ("Name: value\r\n" each).
  LoopbackClient(int port, std::string_view path, std::string_view headers) : port_(port) {
    head_ = "POST " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n" +
            std::string(headers) + "Content-Length: ";
  }
  LoopbackClient(const LoopbackClient&) = delete;
  LoopbackClient& operator=(const LoopbackClient&) = delete;
  ~LoopbackClient() { Close(); }

  // POSTs `body`; the answer's status code, or 0 when there was none (the
  // connection is then opened again for the next call).
  int Post(std::string_view body) {
    if (fd_ < 0 && !Connect()) return 0;
    request_.assign(head_);
    request_ += std::to_string(body.size());
    request_ += "\r\n\r\n";
    request_ += body;
    if (!SendAll(request_)) return Fail();
    return ReadAnswer();
  }

 private:
  bool Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return Fail() != 0;
    in_.clear();
    return true;
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int Fail() {
    Close();
    return 0;
  }

  bool SendAll(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool Fill() {
    char chunk[16384];
    ssize_t n;
    do n = ::recv(fd_, chunk, sizeof chunk, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    in_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  // Reads one answer (head and Content-Length body) off in_ and the socket.
  int ReadAnswer() {
    size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return Fail();
    }
    std::string_view head(in_.data(), end + 2);
    if (!head.starts_with("HTTP/1.1 ") || head.size() < 12) return Fail();
    int status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
    size_t length = 0;
    bool close = false;
    for (size_t at = head.find("\r\n") + 2; at < head.size();) {
      size_t eol = head.find("\r\n", at);
      std::string_view line = head.substr(at, eol - at);
      at = eol + 2;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (EqualNoCase(name, "content-length")) length = std::stoul(std::string(value));
      if (EqualNoCase(name, "connection") && EqualNoCase(value, "close")) close = true;
    }
    size_t total = end + 4 + length;
    while (in_.size() < total) {
      if (!Fill()) return Fail();
    }
    in_.erase(0, total);
    if (close) Close();
    return status;
  }

  static bool EqualNoCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      char x = a[i], y = b[i];
      if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
      if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
      if (x != y) return false;
    }
    return true;
  }

  int port_;
  int fd_ = -1;
  std::string head_;     // up to the Content-Length value
  std::string request_;  // reused: no allocation per request once grown
  std::string in_;       // bytes read and not yet consumed
};
