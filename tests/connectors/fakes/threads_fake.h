// ThreadsFake: the Threads API under /v1.0 as herald's threads connector uses
// it (threads, threads_publish, threads_publishing_limit, container status,
// permalink, the user's recent threads), on ContainerPlatformFake: text up
// to 500 characters, a 250-post quota, permalinks
// https://www.threads.net/@<username>/post/<code>, and the replies under
// posts (GET /<media>/conversation; a reply is a container with reply_to_id).
//
// Thread-safe: as ContainerPlatformFake.
#pragma once

#include "tests/connectors/fakes/meta_graph_fake.h"

namespace herald::testing {

class ThreadsFake : public ContainerPlatformFake {
 public:
  ThreadsFake(std::string user_id, std::string token, std::string username = "herald");
};

}  // namespace herald::testing
