// Governor benchmarks: one placement on an account holding 10,000 planned
// posts (target: a median of 1 us or less on a 2-core machine), and re-planning
// 100,000 posts over 100 accounts (target: under 1 s).
// Rules come from the example policy (examples/policies/acme.yaml): the account
// with the most rules, so every kind of rule is asked at every placement.
#include <benchmark/benchmark.h>

#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "bench/example_rules.h"
#include "policies/content.h"
#include "policies/loader.h"
#include "policies/resolve.h"
#include "scheduler/planner.h"

namespace herald::bench {

policies::AccountRules ExampleRules() {
  const std::string path = std::string(HERALD_SOURCE_DIR) + "/examples/policies/acme.yaml";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto policy = policies::LoadPolicy(ss.str(), path);
  if (!policy) {
    for (auto& e : policy.error()) std::cerr << e.ToString() << "\n";
    std::abort();
  }
  auto all = policies::ResolveAll(*policy);
  // The account with the most rules to ask.
  const policies::AccountRules* best = nullptr;
  auto weight = [](const policies::AccountRules& r) {
    return r.caps.size() + r.quiet_hours.size() + r.blackouts.size() + r.mix.size() + (r.ramp_up ? 2 : 0) +
           (r.min_spacing.count() > 0) + (!r.days.all());
  };
  for (auto& [id, r] : all)
    if (!best || weight(r) > weight(*best)) best = &r;
  return *best;
}

}  // namespace herald::bench

namespace {

using namespace herald;
using namespace std::chrono;
using herald::bench::ExampleRules;

const Instant kStart = sys_days{year{2027} / 1 / 4} + hours{9};

scheduler::PostRequest MakePost(int i, Instant at) {
  scheduler::PostRequest p;
  p.id = std::to_string(i);
  p.text = "Post number " + std::to_string(i) + " about our product #acme";
  p.requested_at = at;
  if (i % 7 == 0) p.labels = {"promotional"};
  p.media_count = 1;
  return p;
}

// A timeline of `n` posts placed by the governor itself, requested every 20h:
// about 70% of the weekly cap of the richest example account, so new requests
// land between planned posts and are mostly deferred, sometimes refused.
scheduler::Timeline FillTimeline(const scheduler::Governor& g, int n, Instant& end) {
  scheduler::Timeline tl;
  Instant at = kStart;
  for (int i = 0; static_cast<int>(tl.size()) < n; ++i) {
    auto post = MakePost(i, at);
    auto d = g.Place(tl, post);
    if (d.placed()) tl.Insert(g.EntryFor(post, *d.planned_at));
    at += hours{20};
  }
  end = at;
  return tl;
}

// 1024 requests spread over the whole filled span: most must be deferred past
// caps, spacing and quiet hours, the expensive case.
std::vector<scheduler::PostRequest> SpreadRequests(Instant end) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<long long> pick(0, (end - kStart).count());
  std::vector<scheduler::PostRequest> posts;
  for (int i = 0; i < 1024; ++i) posts.push_back(MakePost(1000000 + i, kStart + seconds{pick(rng)}));
  return posts;
}

void BM_Place(benchmark::State& state) {
  scheduler::Governor g(ExampleRules());
  Instant end;
  auto tl = FillTimeline(g, static_cast<int>(state.range(0)), end);
  const auto posts = SpreadRequests(end);
  size_t i = 0, placed = 0;
  for (auto _ : state) {
    auto d = g.Place(tl, posts[i++ & 1023]);
    placed += d.placed();
    benchmark::DoNotOptimize(d);
  }
  state.counters["placed_share"] = static_cast<double>(placed) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Place)->Arg(10000)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);

// The frequency rules alone (Governor::Schedule), without the content checks.
void BM_Schedule(benchmark::State& state) {
  scheduler::Governor g(ExampleRules());
  Instant end;
  auto tl = FillTimeline(g, static_cast<int>(state.range(0)), end);
  const auto posts = SpreadRequests(end);
  size_t i = 0;
  for (auto _ : state) {
    auto d = g.Schedule(tl, posts[i++ & 1023]);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_Schedule)->Arg(10000)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);

void BM_Replan(benchmark::State& state) {
  const int total = static_cast<int>(state.range(0));
  const int accounts = 100;
  auto rules = ExampleRules();
  std::map<std::string, scheduler::Governor> governors;
  for (int a = 0; a < accounts; ++a) {
    auto r = rules;
    r.account = "acct-" + std::to_string(a);
    governors.emplace(r.account, scheduler::Governor(std::move(r)));
  }
  scheduler::Planner planner(std::move(governors));
  std::vector<scheduler::PlanInput> inputs;
  inputs.reserve(total);
  for (int i = 0; i < total; ++i) {
    int a = i % accounts;
    Instant at = kStart + hours{9} * (i / accounts) + minutes{a};
    inputs.push_back({"acct-" + std::to_string(a), MakePost(i, at), std::nullopt, std::nullopt});
  }
  for (auto _ : state) {
    auto out = planner.Plan(inputs);
    benchmark::DoNotOptimize(out);
  }
  state.counters["posts_per_s"] = benchmark::Counter(static_cast<double>(total) * state.iterations(),
                                                     benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Replan)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace


namespace {

// The content rules alone (text checks, no timeline), for the same kind of text.
void BM_Content(benchmark::State& state) {
  auto rules = ExampleRules();
  auto post = MakePost(12345, kStart);
  for (auto _ : state) {
    auto f = herald::policies::CheckContent(rules.content, rules.length, post.text);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_Content);

}  // namespace

BENCHMARK_MAIN();
