// herald-mastodon-fake: the Mastodon fake the tests run against
// (tests/connectors/fakes/mastodon_fake.h), as a program, to try the daemon
// by hand on this machine (README, "Answering people: the inbox"). It
// listens on a free loopback port and prints its base URL, adds one mention
// per argument ("text" or "author: text"), prints each status it receives as
// a line of JSON, and serves until SIGINT or SIGTERM. Its token is
// `mastodon-token`.
#include <csignal>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/connectors/fakes/mastodon_fake.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;

void Stop(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, Stop);
  std::signal(SIGTERM, Stop);
  herald::testing::MastodonFake mastodon;
  std::cout << "mastodon fake on " << mastodon.base_url() << " (token: mastodon-token)" << std::endl;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    herald::testing::MastodonFake::Mention m;
    if (auto colon = arg.find(": "); colon != std::string::npos && colon < 64) {
      m.author = arg.substr(0, colon);
      arg = arg.substr(colon + 2);
    }
    m.html = "<p>" + arg + "</p>";
    std::string id = mastodon.AddMention(m);
    std::cout << nlohmann::json{{"mention", id}, {"author", m.author}, {"text", arg}}.dump() << std::endl;
  }
  size_t seen = 0;
  while (!g_stop) {
    auto statuses = mastodon.Statuses();
    for (; seen < statuses.size(); ++seen) {
      const auto& st = statuses[seen];
      std::cout << nlohmann::json{{"status", st.id}, {"in_reply_to_id", st.in_reply_to_id}, {"text", st.text}}.dump()
                << std::endl;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return 0;
}
