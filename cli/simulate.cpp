// `herald simulate`: reads a policy and JSON lines of posts, plans them exactly
// as the daemon would (the same Planner, in placement order), prints one result per line.
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/post_json.h"
#include "policies/loader.h"
#include "policies/resolve.h"
#include "scheduler/planner.h"

namespace herald::cli {
namespace {

using nlohmann::json;
using scheduler::Decision;

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json ReasonsJson(const std::vector<scheduler::Reason>& reasons) {
  json out = json::array();
  for (const auto& r : reasons) out.push_back({{"rule", r.rule}, {"detail", r.detail}, {"posts", r.posts}});
  return out;
}

struct Line {
  int number = 0;
  std::optional<SimulatedPost> post;  // unset: the line was invalid
  json raw_id;                        // the id as written, when it could be read
  std::string error;
};

}  // namespace

int RunSimulate(const SimulateOptions& options, std::ostream& out, std::ostream& err) {
  auto policy_text = ReadFile(options.policy);
  if (!policy_text) {
    err << "herald simulate: cannot read policy file " << options.policy << "\n";
    return kExitUsage;
  }
  auto posts_text = ReadFile(options.posts);
  if (!posts_text) {
    err << "herald simulate: cannot read posts file " << options.posts << "\n";
    return kExitUsage;
  }
  auto policy = policies::LoadPolicy(*policy_text, options.policy);
  if (!policy) {
    for (const auto& e : policy.error()) err << e.ToString() << "\n";
    return kExitInvalid;
  }

  std::map<std::string, scheduler::Governor> governors;
  for (auto& [id, rules] : policies::ResolveAll(*policy)) governors.emplace(id, scheduler::Governor(std::move(rules)));
  scheduler::Planner planner(std::move(governors));

  std::vector<Line> lines;
  std::istringstream in(*posts_text);
  std::string text;
  int number = 0;
  bool any_invalid = false;
  while (std::getline(in, text)) {
    ++number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank lines are not posts
    Line line;
    line.number = number;
    auto parsed = ParseSimulatedPost(text);
    if (parsed) {
      line.raw_id = parsed->id_is_number ? json(std::stoll(parsed->request.id)) : json(parsed->request.id);
      if (!planner.FindGovernor(parsed->account)) {
        line.error = "account: unknown account \"" + parsed->account + "\" (not in " + policy->organization + "'s policy)";
      } else {
        line.post = std::move(*parsed);
      }
    } else {
      line.error = parsed.error().ToString();
      line.raw_id = json::parse(ParseIdOnly(text));
    }
    if (!line.post) {
      any_invalid = true;
      err << options.posts << ":" << number << ": " << line.error << "\n";
    }
    lines.push_back(std::move(line));
  }

  std::vector<scheduler::PlanInput> inputs;
  std::vector<size_t> input_of(lines.size(), SIZE_MAX);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].post) continue;
    input_of[i] = inputs.size();
    inputs.push_back({lines[i].post->account, lines[i].post->request, std::nullopt, std::nullopt});
  }
  auto results = planner.Plan(inputs);

  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    if (!line.post) {
      if (options.format == "json") {
        out << json{{"id", line.raw_id}, {"line", line.number}, {"account", nullptr}, {"requested_at", nullptr},
                    {"planned_at", nullptr}, {"state", "invalid"},
                    {"reasons", json::array({{{"rule", "input"}, {"detail", line.error}, {"posts", json::array()}}})}}
                   .dump()
            << "\n";
      } else {
        out << "line " << line.number << ": invalid: " << line.error << "\n";
      }
      continue;
    }
    const auto& r = results[input_of[i]];
    const Decision& d = r.decision;
    const auto* gov = planner.FindGovernor(r.account);
    const std::string state = d.placed() ? "scheduled" : "refused";
    const std::vector<Media>& media = line.post->media;
    if (options.format == "json") {
      json result = {{"id", line.raw_id},
                     {"account", r.account},
                     {"requested_at", FormatRfc3339(d.requested_at)},
                     {"planned_at", d.planned_at ? json(FormatRfc3339(*d.planned_at)) : json(nullptr)},
                     {"state", state},
                     {"reasons", ReasonsJson(d.reasons)}};
      if (!media.empty()) {
        result["media"] = json::array();
        for (const auto& m : media) result["media"].push_back({{"url", m.url}, {"alt", m.alt}});
      }
      out << result.dump() << "\n";
    } else {
      out << r.id << "  " << r.account << "  ";
      if (d.planned_at) {
        out << FormatRfc3339(*d.planned_at, gov->rules().zone);
      } else {
        out << "-";
      }
      out << "  " << state << "  " << d.Summary();
      for (const auto& m : media) out << "  [image " << m.url << " alt=\"" << m.alt << "\"]";
      out << "\n";
    }
  }
  return any_invalid ? kExitInvalid : kExitOk;
}

}  // namespace herald::cli
