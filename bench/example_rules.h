// The rules of the example account with the most rules to ask (from
// examples/policies/acme.yaml), shared by the benchmarks so they measure the
// same account. Defined in governor_bench.cpp.
#pragma once

#include "policies/resolve.h"

namespace herald::bench {

policies::AccountRules ExampleRules();

}  // namespace herald::bench
