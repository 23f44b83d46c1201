// The API's edge: exceptions and failing storage become problems, never a crash.
#include <catch2/catch.hpp>

#include <mutex>
#include <stdexcept>
#include <vector>

#include "tests/api/api_fixture.h"
#include "tests/support/delegating_store.h"

namespace {

using namespace herald::api::testing;
using herald::Code;
using herald::Result;
using herald::Status;
namespace storage = herald::storage;

// A real store whose ListPosts throws and whose ListAudit fails with a code
// chosen by the test.
class FailingStore : public herald::testing::DelegatingStore {
 public:
  FailingStore(std::unique_ptr<storage::Store> real, Status audit_failure)
      : DelegatingStore(std::move(real)), audit_failure_(std::move(audit_failure)) {}

  Result<std::vector<herald::Post>> ListPosts(const storage::PostQuery&) override {
    throw std::runtime_error("disk on fire");
  }
  Result<std::vector<storage::AuditEntry>> ListAudit(const storage::AuditQuery&) override {
    return std::unexpected(audit_failure_);
  }

 private:
  Status audit_failure_;
};

ApiFixture::StoreWrapper Failing(Status audit_failure) {
  return [audit_failure](std::unique_ptr<storage::Store> real) -> std::unique_ptr<storage::Store> {
    return std::make_unique<FailingStore>(std::move(real), audit_failure);
  };
}

}  // namespace

TEST_CASE("API: an exception in a request is a 500 problem, logged, and the server stays up", "[api]") {
  ApiFixture f(Failing(Status(Code::kInternal, "x")));
  Reply r = f.Get("/v1/posts", kAcmeViewer);
  CHECK(r.status == 500);
  CHECK(r.content_type == "application/problem+json");
  CHECK(r.json()["status"] == 500);
  CHECK(r.body.find("disk on fire") == std::string::npos);
  auto logged = f.logged();
  REQUIRE_FALSE(logged.empty());
  CHECK_THAT(logged.front(), Catch::Contains("disk on fire"));
  CHECK(f.Get("/healthz", nullptr).status == 200);
  CHECK(f.Get("/v1/posts/1", kAcmeViewer).status == 404);
}

TEST_CASE("API: storage failures map to 503 and 429 with Retry-After", "[api]") {
  SECTION("unavailable") {
    ApiFixture f(Failing(Status(Code::kUnavailable, "database is locked; retry")));
    Reply r = f.Get("/v1/audit", kAcmeViewer);
    CHECK(r.status == 503);
    CHECK(r.content_type == "application/problem+json");
  }
  SECTION("resource exhausted") {
    auto at = *herald::ParseRfc3339("2026-03-10T14:05:00Z");
    ApiFixture f(Failing(Status(Code::kResourceExhausted, "too many audit reads").WithRetryAt(at)));
    Reply r = f.Get("/v1/audit", kAcmeViewer);
    CHECK(r.status == 429);
    CHECK(r.header("Retry-After") == "Tue, 10 Mar 2026 14:05:00 GMT");
  }
}
