// The API's edge: exceptions and failing storage become problems, never a crash.
#include <catch2/catch.hpp>

#include <mutex>
#include <stdexcept>
#include <vector>

#include "tests/api/api_fixture.h"

namespace {

using namespace herald::api::testing;
using herald::Code;
using herald::Result;
using herald::Status;
namespace storage = herald::storage;

// Delegates to a real store; ListPosts throws and ListAudit fails with a code
// chosen by the test.
class FailingStore : public storage::Store {
 public:
  FailingStore(std::unique_ptr<storage::Store> real, Status audit_failure)
      : real_(std::move(real)), audit_failure_(std::move(audit_failure)) {}

  Result<herald::Post> CreatePost(herald::Post post, std::vector<storage::AuditEntry> audit,
                                  std::optional<storage::IdempotencyRecord> idem) override {
    return real_->CreatePost(std::move(post), std::move(audit), std::move(idem));
  }
  Result<std::vector<herald::Post>> UpdatePosts(std::vector<storage::PostChange> changes) override {
    return real_->UpdatePosts(std::move(changes));
  }
  Result<void> AppendAudit(std::vector<storage::AuditEntry> entries) override {
    return real_->AppendAudit(std::move(entries));
  }
  Result<herald::Post> GetPost(std::string_view org, int64_t id) override { return real_->GetPost(org, id); }
  Result<std::vector<herald::Post>> ListPosts(const storage::PostQuery&) override {
    throw std::runtime_error("disk on fire");
  }
  Result<std::vector<storage::AuditEntry>> ListAudit(const storage::AuditQuery&) override {
    return std::unexpected(audit_failure_);
  }
  Result<std::vector<herald::Post>> LoadActive(herald::Instant since) override { return real_->LoadActive(since); }
  Result<std::vector<storage::StateChange>> ListHistory(std::string_view org, int64_t id) override {
    return real_->ListHistory(org, id);
  }
  Result<std::optional<storage::IdempotencyRecord>> FindIdempotency(std::string_view org,
                                                                     std::string_view key) override {
    return real_->FindIdempotency(org, key);
  }
  Result<void> RecordPolicyVersion(const storage::PolicyVersion& v) override { return real_->RecordPolicyVersion(v); }
  Result<void> Ping() override { return real_->Ping(); }
  Result<std::unique_ptr<AccountLock>> LockAccount(std::string_view org, std::string_view account) override {
    return real_->LockAccount(org, account);
  }
  Result<std::vector<herald::Post>> AccountChangesSince(std::string_view org, std::string_view account,
                                                        int64_t after_seq) override {
    return real_->AccountChangesSince(org, account, after_seq);
  }
  void WatchChanges(std::function<void(std::string, std::string)> on_change) override {
    real_->WatchChanges(std::move(on_change));
  }
  Result<void> RenewLease(std::string_view process, herald::Instant until) override {
    return real_->RenewLease(process, until);
  }
  Result<void> SavePause(const storage::AccountPause& pause) override { return real_->SavePause(pause); }
  Result<std::vector<storage::AccountPause>> ActivePauses(herald::Instant now) override {
    return real_->ActivePauses(now);
  }
  Result<std::vector<herald::Post>> OrphanedClaims(herald::Instant now) override {
    return real_->OrphanedClaims(now);
  }

 private:
  std::unique_ptr<storage::Store> real_;
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
