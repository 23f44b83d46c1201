// Content-rule benchmarks (issue: placement median <= 2 us; the precompiled
// checker should take <= 0.5 us for a short ASCII post). Rules come from the
// example policy's richest account, as in governor_bench.cpp, so banned terms,
// every detector and the platform's length rules are all asked.
#include <benchmark/benchmark.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/example_rules.h"
#include "policies/content.h"
#include "policies/loader.h"
#include "policies/resolve.h"

namespace {

using namespace herald;

// The text governor_bench.cpp's MakePost(12345, ...) writes.
const std::string kPostText = "Post number 12345 about our product #acme";

void BM_ContentChecker(benchmark::State& state) {
  const auto rules = bench::ExampleRules();
  const policies::ContentChecker checker(rules.content, rules.length);
  for (auto _ : state) {
    auto f = checker.Check(kPostText);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_ContentChecker)->Repetitions(5)->ReportAggregatesOnly(true);

// A longer mixed text with a URL, digits, an '@' and non-ASCII letters: the
// general path, for comparison.
void BM_ContentCheckerMixed(benchmark::State& state) {
  const auto rules = bench::ExampleRules();
  const policies::ContentChecker checker(rules.content, rules.length);
  const std::string text =
      "Caf\u00e9 news: our launch on 2027-01-04 at https://example.com/launch?x=1 \u2014 ask "
      "team@acme.example or call +1 (555) 123-4567. #acme \U0001F680";
  for (auto _ : state) {
    auto f = checker.Check(text);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_ContentCheckerMixed)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace
