// ListenSocket: the API's listening TCP socket, bound before anything else in
// the daemon is opened, so a second daemon on an address in use stops before
// it touches the database or the outbox.
//
// The bind is exclusive: SO_REUSEADDR (a restart may reuse an address whose
// old connections linger in TIME_WAIT) but never SO_REUSEPORT, so the kernel
// cannot split connections between two daemons. Move-only; owns the
// descriptor. Not thread-safe.
#pragma once

#include <string>

#include "core/status.h"

namespace herald::api {

class ListenSocket {
 public:
  ListenSocket() = default;
  ListenSocket(int fd, int port) : fd_(fd), port_(port) {}
  ~ListenSocket();
  ListenSocket(ListenSocket&& other) noexcept;
  ListenSocket& operator=(ListenSocket&& other) noexcept;
  ListenSocket(const ListenSocket&) = delete;
  ListenSocket& operator=(const ListenSocket&) = delete;

  bool valid() const { return fd_ >= 0; }
  int port() const { return port_; }  // the bound port, the real one when 0 was asked
  // Hands the descriptor over (to the server's I/O loop); the socket is then empty.
  int Release();

 private:
  int fd_ = -1;
  int port_ = 0;
};

inline constexpr int kListenBacklog = 1024;

// Binds `listen` ("HOST:PORT", "[V6]:PORT"; port 0 picks a free port) and
// listens with a backlog of `backlog`. InvalidArgument for a malformed address
// or a host that does not resolve; Unavailable when it cannot be bound, with
// the system's reason ("address already in use") in the message.
Result<ListenSocket> Listen(const std::string& listen, int backlog = kListenBacklog);

}  // namespace herald::api
