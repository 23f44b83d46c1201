// herald-burst-receiver: a Standard Webhooks endpoint on loopback for
// bench/run-burst. It answers every POST with 200 at once, notes when each
// webhook-id arrived, and once `--expect` distinct ids have come (then a grace
// period, so a late duplicate is still seen) or `--timeout` passed, prints one
// line of figures and exits: 0 when every post came exactly once, 1 otherwise.
//
//   herald-burst-receiver --expect N [--timeout SECONDS] [--port-file FILE]
//
// Lateness is the arrival time (this machine's clock) minus the post's
// data.planned_at, as an operator's receiver would see it.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::system_clock;

struct Arrivals {
  std::mutex mu;
  std::condition_variable changed;
  std::unordered_map<std::string, int> count;  // webhook-id -> deliveries
  std::vector<double> lateness_ms;             // first delivery of each id
  int64_t bad = 0;                             // requests without an id or a planned_at
  std::set<int> connections;                   // client ports seen: one per connection
};

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ"; -1 when it is not one.
int64_t ParseUtc(const std::string& text) {
  int y, mo, d, h, mi, s;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s) != 6) return -1;
  using namespace std::chrono;
  auto date = sys_days{year{y} / month{static_cast<unsigned>(mo)} / std::chrono::day{static_cast<unsigned>(d)}};
  return duration_cast<seconds>(date.time_since_epoch()).count() + h * 3600 + mi * 60 + s;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  size_t expect = 0;
  int timeout_s = 300;
  std::string port_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--expect") expect = std::stoul(argv[i + 1]);
    else if (flag == "--timeout") timeout_s = std::stoi(argv[i + 1]);
    else if (flag == "--port-file") port_file = argv[i + 1];
  }
  if (expect == 0) {
    std::cerr << "usage: herald-burst-receiver --expect N [--timeout SECONDS] [--port-file FILE]\n";
    return 2;
  }

  Arrivals arrivals;
  httplib::Server server;
  // Keep-alive connections each hold a worker: enough for every publisher.
  server.new_task_queue = [] { return new httplib::ThreadPool(256); };
  // As a web server in front of a receiver would (nginx keeps a connection
  // for 1,000 requests); cpp-httplib's own default closes it after 5.
  server.set_keep_alive_max_count(1000);
  server.set_tcp_nodelay(true);  // as nginx does on kept connections
  server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    auto arrived = Clock::now();
    std::string id = req.get_header_value("webhook-id");
    int64_t planned = -1;
    try {
      planned = ParseUtc(nlohmann::json::parse(req.body).at("data").at("planned_at").get<std::string>());
    } catch (const std::exception&) {
    }
    {
      std::lock_guard lock(arrivals.mu);
      arrivals.connections.insert(req.remote_port);
      if (id.empty() || planned < 0) {
        ++arrivals.bad;
      } else if (++arrivals.count[id] == 1) {
        auto late = arrived - Clock::time_point(std::chrono::seconds{planned});
        arrivals.lateness_ms.push_back(std::chrono::duration<double, std::milli>(late).count());
      }
    }
    arrivals.changed.notify_one();
    res.status = 200;
    res.set_content("{}", "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    std::cerr << "herald-burst-receiver: cannot listen on 127.0.0.1\n";
    return 1;
  }
  // cpp-httplib listens with a backlog of 5, built into Debian's library: a
  // burst of new connections would be refused. Its socket is found by its port
  // and given a deep backlog (listen again on Linux only changes the backlog).
  for (int fd = 3; fd < 1024; ++fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    int listening = 0;
    socklen_t optlen = sizeof listening;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && addr.sin_family == AF_INET &&
        ntohs(addr.sin_port) == port && getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) == 0 &&
        listening) {
      ::listen(fd, 4096);
    }
  }
  if (!port_file.empty()) std::ofstream(port_file) << port << "\n";
  std::thread listener([&] { server.listen_after_bind(); });

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{timeout_s};
  {
    std::unique_lock lock(arrivals.mu);
    arrivals.changed.wait_until(lock, deadline, [&] { return arrivals.count.size() >= expect; });
  }
  // A duplicate may still be on its way.
  std::this_thread::sleep_for(std::chrono::seconds{2});
  server.stop();
  listener.join();

  std::lock_guard lock(arrivals.mu);
  size_t duplicates = 0;
  for (const auto& [id, n] : arrivals.count) duplicates += static_cast<size_t>(n - 1);
  size_t distinct = arrivals.count.size();
  size_t missing = distinct >= expect ? 0 : expect - distinct;
  std::printf("received %zu of %zu posts, %zu duplicates, %zu missing, %lld malformed; lateness p50 %.0f ms, "
              "p99 %.0f ms, max %.0f ms; %zu connections\n",
              distinct, expect, duplicates, missing, static_cast<long long>(arrivals.bad),
              Percentile(arrivals.lateness_ms, 0.50), Percentile(arrivals.lateness_ms, 0.99),
              Percentile(arrivals.lateness_ms, 1.0), arrivals.connections.size());
  return distinct == expect && duplicates == 0 && arrivals.bad == 0 ? 0 : 1;
}
