// Reading one post of `herald simulate`'s JSON lines input:
// {"id", "account", "text", "at", "labels"?, "priority"?, "media"?}.
// Errors name the field by JSON pointer ("/at: time ... has no UTC offset").
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/post.h"
#include "scheduler/governor.h"

namespace herald::cli {

struct SimulatedPost {
  std::string account;
  scheduler::PostRequest request;
  std::vector<Media> media;   // shown in the output; the governor sees only the count
  bool id_is_number = false;  // the id was written as a JSON integer
};

// Parses one line. InvalidArgument with Where::path set to the JSON pointer of
// the offending field.
Result<SimulatedPost> ParseSimulatedPost(std::string_view line);

// The line's "id" as a JSON text ("\"p1\"", "42") if the line is a JSON object
// with one, else "null" (for reporting invalid lines).
std::string ParseIdOnly(std::string_view line);

}  // namespace herald::cli
