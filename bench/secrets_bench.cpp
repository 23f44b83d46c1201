// Sealing and opening an account's grant (AES-256-GCM through OpenSSL EVP):
// what every connect, refresh and publish with a stored token pays on top of
// the store, and what `herald token-keys rotate` pays per grant.
#include <benchmark/benchmark.h>

#include <string>

#include "secrets/key_ring.h"

namespace {

using namespace herald;

// About the size of a sealed X grant: a 100-character access token, a
// 100-character refresh token and the scopes, as JSON.
const std::string kGrant =
    R"({"access_token":")" + std::string(100, 'a') + R"(","refresh_token":")" + std::string(100, 'r') +
    R"(","scope":"tweet.read tweet.write users.read offline.access"})";

secrets::KeyRing Ring() {
  return *secrets::KeyRing::Make("k1", {{"k1", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}});
}

void BM_SealGrant(benchmark::State& state) {
  const secrets::KeyRing ring = Ring();
  for (auto _ : state) {
    auto sealed = ring.Seal(kGrant, "grant/acme/x-main");
    benchmark::DoNotOptimize(sealed);
  }
}
BENCHMARK(BM_SealGrant)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_OpenGrant(benchmark::State& state) {
  const secrets::KeyRing ring = Ring();
  const secrets::Sealed sealed = *ring.Seal(kGrant, "grant/acme/x-main");
  for (auto _ : state) {
    auto plain = ring.Open(sealed, "grant/acme/x-main");
    benchmark::DoNotOptimize(plain);
  }
}
BENCHMARK(BM_OpenGrant)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace
