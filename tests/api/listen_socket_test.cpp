// The API's listening socket: exclusive, with a deep backlog.
#include "api/listen_socket.h"

#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using herald::api::Listen;

}  // namespace

TEST_CASE("Listen: a second bind of an address in use fails with the reason", "[listen]") {
  auto first = Listen("127.0.0.1:0");
  REQUIRE(first);
  REQUIRE(first->port() > 0);
  auto second = Listen("127.0.0.1:" + std::to_string(first->port()));
  REQUIRE_FALSE(second);
  CHECK(second.error().code() == herald::Code::kUnavailable);
  CHECK(second.error().message().find("address already in use") != std::string::npos);
}

TEST_CASE("Listen: the socket never shares its port", "[listen]") {
  auto socket = Listen("127.0.0.1:0");
  REQUIRE(socket);
  int fd = socket->Release();
  int reuse_port = -1;
  socklen_t len = sizeof reuse_port;
  REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &reuse_port, &len) == 0);
  CHECK(reuse_port == 0);
  int accepting = 0;
  len = sizeof accepting;
  REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0);
  CHECK(accepting == 1);
  ::close(fd);
}

TEST_CASE("Listen: malformed addresses are refused before any socket", "[listen]") {
  for (const char* bad : {"127.0.0.1", ":80", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000"}) {
    INFO(bad);
    auto r = Listen(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == herald::Code::kInvalidArgument);
  }
}
