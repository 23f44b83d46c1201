// LinkedinFake: LinkedIn's Posts API as herald's linkedin connector uses it:
// POST /rest/posts with Authorization Bearer, LinkedIn-Version (YYYYMM),
// X-Restli-Protocol-Version 2.0.0 and the JSON post; 201 with an empty body
// and the URN in x-restli-id. Errors in LinkedIn's shape {"status",
// "serviceErrorCode", "code", "message"}: 401 wrong token, 426 unknown
// version, 403 an author the token may not post as, 422 a missing field or a
// commentary over 3000 characters. Keeps every post it created, with the
// commentary as sent and as LinkedIn shows it (little-format escapes removed).
//
// Thread-safe: handlers run on the server's threads; Posts() may be called
// from the test thread at any time.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "tests/support/fake_server.h"

namespace herald::testing {

class LinkedinFake {
 public:
  struct Post {
    std::string urn;
    std::string author;
    std::string commentary;  // as sent
    std::string shown;       // as LinkedIn renders it
  };

  LinkedinFake(std::string token, std::string author);  // serving once constructed

  FakeServer& server() { return server_; }
  std::string base_url() const { return server_.base_url(); }
  std::vector<Post> Posts() const;

 private:
  const std::string token_;
  const std::string author_;
  FakeServer server_;
  mutable std::mutex mu_;
  std::vector<Post> posts_;                // guarded by mu_
  int64_t next_id_ = 7300000000000000001;  // guarded by mu_
};

}  // namespace herald::testing
