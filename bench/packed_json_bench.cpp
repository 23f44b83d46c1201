// What storing audit details and event payloads packed costs a write and a
// read (storage/internal/packed_json.h): a create entry's detail with two
// reasons and a post.scheduled payload, packed from text (parse, pack, check
// the way back by printing and parsing again), packed from the JSON value as
// a create does now (PackJsonValue: pack, check on the values, print both),
// and unpacked; and a create entry's detail stored without the post's text
// and reasons (storage/internal/created_text.h), written and read.
//   build/bench/herald-bench --benchmark_filter='Packed|CreateDetail'
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include <string>

#include "storage/internal/created_text.h"
#include "storage/internal/packed_json.h"

namespace herald::storage::internal {
namespace {

const std::string kCreateDetail =
    R"({"account":"mem-99","planned_at":"2026-12-12T20:15:00Z","reasons":[{"detail":"00:00-06:00","posts":[],"rule":"quiet_hours"},{"detail":"45m before post 11900","posts":["11900"],"rule":"min_spacing"}],"state":"scheduled","summary":"deferred 1h13m55s: quiet_hours 00:00-06:00; min_spacing 45m before post 11900","text":"Planned post 11999: the spring collection is in the shops from Monday, with new colours and sizes."})";
const std::string kEventPayload =
    R"({"organization":"mem","post":{"account":"mem-99","id":12000,"labels":["launch"],"planned_at":"2026-12-12T20:15:00Z","reasons":[{"detail":"00:00-06:00","rule":"quiet_hours"},{"detail":"45m before post 11900","rule":"min_spacing"}],"state":"scheduled"}})";

void BM_PackedWrite(benchmark::State& state) {
  const std::string& text = state.range(0) == 0 ? kCreateDetail : kEventPayload;
  for (auto _ : state) benchmark::DoNotOptimize(PackJson(text, "mem"));
}
BENCHMARK(BM_PackedWrite)->Arg(0)->Arg(1)->ArgNames({"event"});

void BM_PackedValueWrite(benchmark::State& state) {
  const nlohmann::json value = nlohmann::json::parse(state.range(0) == 0 ? kCreateDetail : kEventPayload);
  for (auto _ : state) benchmark::DoNotOptimize(PackJsonValue(value, "mem"));
}
BENCHMARK(BM_PackedValueWrite)->Arg(0)->Arg(1)->ArgNames({"event"});

void BM_PackedRead(benchmark::State& state) {
  const std::string stored = PackJson(state.range(0) == 0 ? kCreateDetail : kEventPayload, "mem");
  for (auto _ : state) benchmark::DoNotOptimize(UnpackJson(stored, "mem"));
}
BENCHMARK(BM_PackedRead)->Arg(0)->Arg(1)->ArgNames({"event"});

const std::string kPostText =
    "Planned post 11999: the spring collection is in the shops from Monday, with new colours and sizes.";
const std::string kPostReasons = R"([["quiet_hours","00:00-06:00"],["min_spacing","45m before post 11900",["11900"]]])";

void BM_CreateDetailWrite(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(PackCreateDetail(kCreateDetail, "mem", kPostText, kPostReasons));
}
BENCHMARK(BM_CreateDetailWrite);

// The same from the form its writer packed from the value (AuditEntry::stored_detail).
void BM_CreateDetailWriteFromPacked(benchmark::State& state) {
  const std::string packed = PackJson(kCreateDetail, "mem");
  for (auto _ : state) {
    benchmark::DoNotOptimize(PackCreateDetailFrom(packed, kCreateDetail, "mem", kPostText, kPostReasons));
  }
}
BENCHMARK(BM_CreateDetailWriteFromPacked);

void BM_CreateDetailRead(benchmark::State& state) {
  const std::string stored = PackCreateDetail(kCreateDetail, "mem", kPostText, kPostReasons);
  if (!stored.starts_with(kTextAndReasonsOfPostPrefix)) state.SkipWithError("the detail was not stored without its text");
  const std::optional<std::string> text = kPostText, reasons = kPostReasons;
  for (auto _ : state) benchmark::DoNotOptimize(UnpackDetail(stored, "mem", text, reasons));
}
BENCHMARK(BM_CreateDetailRead);

}  // namespace
}  // namespace herald::storage::internal
