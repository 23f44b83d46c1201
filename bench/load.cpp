// herald-load: a load client for a running `herald serve`.
//
//   herald-load creates --port P --token T --account A [--threads 8] [--seconds 10] [--client raw|httplib]
//       POST /v1/posts as fast as it can from N connections; prints creates/s and
//       latency percentiles (each 201 is durable: herald acks after commit) and the
//       CPU the generator itself used. Each create is a whole HTTP/1.1 request on a
//       keep-alive connection; `raw` (the default) sends it with LoopbackClient
//       (bench/loopback_client.h), `httplib` with cpp-httplib's client, which costs
//       the generator several times more CPU per request.
//   herald-load lateness --port P --token T --account A --outbox FILE [--posts 50]
//       creates posts planned 2-4 s ahead (policy without approval), watches the
//       outbox file, and prints planned -> written lateness percentiles.
//
// --port and --account take comma-separated lists: connection (or post) i goes
// to port i mod n and account i mod m, so creates spread over several daemons
// sharing one PostgreSQL database (they share the outbox too, so `lateness`
// watches the one file whichever daemon writes the line).
//
// bench/run-load runs both against a fresh daemon on a temporary SQLite file
// (and, with --postgres, against one and three daemons on PostgreSQL).
#include <fcntl.h>
#include <httplib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/loopback_client.h"

using namespace std::chrono;
using nlohmann::json;

namespace {

struct Args {
  std::string mode;
  std::vector<int> ports{8080};
  std::string token;
  std::vector<std::string> accounts{"acme-blog"};
  std::string outbox;
  int threads = 8;
  int seconds = 10;
  int posts = 50;
  int ahead = 0;  // creates: plan the posts this many seconds ahead (0: as soon as allowed)
  bool httplib = false;  // creates: send with cpp-httplib's client instead of LoopbackClient
};

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  size_t from = 0;
  while (from <= list.size()) {
    size_t comma = list.find(',', from);
    if (comma == std::string::npos) comma = list.size();
    if (comma > from) out.push_back(list.substr(from, comma - from));
    from = comma + 1;
  }
  return out;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

std::string Rfc3339(system_clock::time_point t) {
  auto s = floor<seconds>(t);
  std::time_t tt = system_clock::to_time_t(s);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
  return buf;
}

// User and system CPU this process used so far.
double CpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

int Creates(const Args& a) {
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::atomic<long> ok{0}, failed{0};
  std::vector<std::thread> workers;
  auto start = steady_clock::now();
  double cpu_start = CpuSeconds();
  for (int w = 0; w < a.threads; ++w) {
    workers.emplace_back([&, w] {
      int port = a.ports[static_cast<size_t>(w) % a.ports.size()];
      const std::string& account = a.accounts[static_cast<size_t>(w) % a.accounts.size()];
      httplib::Client http("127.0.0.1", port);
      http.set_keep_alive(true);
      http.set_tcp_nodelay(true);
      httplib::Headers auth{{"Authorization", "Bearer " + a.token}};
      LoopbackClient raw(port, "/v1/posts", "Authorization: Bearer " + a.token + "\r\nContent-Type: application/json\r\n");
      // The body json::dump writes for {account, at, text} (keys sorted),
      // put together without building a json object per request.
      const std::string head = "{\"account\":" + json(account).dump();
      std::string at_field;
      seconds at_second{-1};
      std::string body;
      std::vector<double> mine;
      for (long i = 0; !stop; ++i) {
        body.assign(head);
        if (a.ahead > 0) {
          auto now = floor<seconds>(system_clock::now());
          if (now.time_since_epoch() != at_second) {
            at_second = now.time_since_epoch();
            at_field = ",\"at\":\"" + Rfc3339(now + seconds{a.ahead}) + "\"";
          }
          body += at_field;
        }
        body += ",\"text\":\"load " + std::to_string(w) + "-" + std::to_string(i) + "\"}";
        auto t0 = steady_clock::now();
        int status = 0;
        if (a.httplib) {
          auto r = http.Post("/v1/posts", auth, body, "application/json");
          status = r ? r->status : 0;
        } else {
          status = raw.Post(body);
        }
        auto t1 = steady_clock::now();
        if (status == 201) {
          ++ok;
          mine.push_back(duration<double, std::milli>(t1 - t0).count());
        } else {
          ++failed;
        }
      }
      std::lock_guard lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(seconds(a.seconds));
  stop = true;
  for (auto& t : workers) t.join();
  double elapsed = duration<double>(steady_clock::now() - start).count();
  double cpu = CpuSeconds() - cpu_start;
  std::printf("creates: %ld ok, %ld failed in %.1f s with %d connections to %zu daemon(s): %.0f creates/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; generator CPU %.2f s (%.0f us per create, %s client)\n",
              ok.load(), failed.load(), elapsed, a.threads, a.ports.size(), static_cast<double>(ok.load()) / elapsed,
              Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99), Percentile(latencies_ms, 1.0), cpu,
              ok.load() + failed.load() > 0 ? cpu * 1e6 / static_cast<double>(ok.load() + failed.load()) : 0.0,
              a.httplib ? "httplib" : "raw");
  return failed.load() == 0 ? 0 : 1;
}

int Lateness(const Args& a) {
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int port : a.ports) clients.push_back(std::make_unique<httplib::Client>("127.0.0.1", port));
  httplib::Headers auth{{"Authorization", "Bearer " + a.token}};
  std::map<int64_t, system_clock::time_point> planned;
  auto base = ceil<seconds>(system_clock::now()) + seconds{2};
  for (int i = 0; i < a.posts; ++i) {
    auto at = base + seconds{i % 3};
    json body = {{"account", a.accounts.front()}, {"text", "lateness " + std::to_string(i)}, {"at", Rfc3339(at)}};
    auto r = clients[static_cast<size_t>(i) % clients.size()]->Post("/v1/posts", auth, body.dump(), "application/json");
    if (!r || r->status != 201) {
      std::fprintf(stderr, "create failed: %s\n", r ? r->body.c_str() : "no answer");
      return 1;
    }
    json post = json::parse(r->body);
    if (post["state"] != "scheduled") {
      std::fprintf(stderr, "post not scheduled (does the policy need approval or space posts?): %s\n", r->body.c_str());
      return 1;
    }
    planned[post["id"].get<int64_t>()] = at;
  }
  std::vector<double> lateness_ms;
  std::set<int64_t> seen;
  long duplicates = 0;
  std::string buffer;
  int fd = -1;
  auto deadline = steady_clock::now() + seconds{30};
  while (lateness_ms.size() < planned.size() && steady_clock::now() < deadline) {
    if (fd < 0) fd = ::open(a.outbox.c_str(), O_RDONLY);
    if (fd >= 0) {
      char chunk[65536];
      ssize_t n;
      while ((n = ::read(fd, chunk, sizeof chunk)) > 0) buffer.append(chunk, static_cast<size_t>(n));
      auto now = system_clock::now();
      size_t eol;
      while ((eol = buffer.find('\n')) != std::string::npos) {
        json j = json::parse(buffer.substr(0, eol), nullptr, false);
        buffer.erase(0, eol + 1);
        if (j.is_discarded()) continue;
        auto it = planned.find(j.value("id", int64_t{0}));
        if (it == planned.end()) continue;
        if (!seen.insert(it->first).second) {
          ++duplicates;  // written twice (by two daemons, or after a crash)
          continue;
        }
        lateness_ms.push_back(duration<double, std::milli>(now - it->second).count());
      }
    }
    std::this_thread::sleep_for(microseconds(100));
  }
  // A last look for lines written twice after every post arrived.
  std::this_thread::sleep_for(milliseconds(200));
  if (fd >= 0) {
    char chunk[65536];
    ssize_t n;
    while ((n = ::read(fd, chunk, sizeof chunk)) > 0) buffer.append(chunk, static_cast<size_t>(n));
    size_t eol;
    while ((eol = buffer.find('\n')) != std::string::npos) {
      json j = json::parse(buffer.substr(0, eol), nullptr, false);
      buffer.erase(0, eol + 1);
      if (!j.is_discarded() && planned.contains(j.value("id", int64_t{0})) && !seen.insert(j.value("id", int64_t{0})).second)
        ++duplicates;
    }
  }
  if (fd >= 0) ::close(fd);
  std::printf("lateness (planned -> line in outbox, watched every 0.1 ms): %zu of %zu posts; p50 %.2f ms, p99 %.2f ms, max %.2f ms%s\n",
              lateness_ms.size(), planned.size(), Percentile(lateness_ms, 0.5), Percentile(lateness_ms, 0.99),
              Percentile(lateness_ms, 1.0),
              duplicates == 0 ? "" : ("; " + std::to_string(duplicates) + " written more than once").c_str());
  return lateness_ms.size() == planned.size() && duplicates == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (argc < 2) {
    std::fprintf(stderr, "usage: herald-load creates|lateness --port P[,P...] --token T [--account A[,A...]] [--threads N] "
                         "[--seconds S] [--outbox FILE] [--posts N] [--client raw|httplib]\n");
    return 2;
  }
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port") {
      a.ports.clear();
      for (const auto& p : Split(v)) a.ports.push_back(std::stoi(p));
    } else if (k == "--token") a.token = v;
    else if (k == "--account") a.accounts = Split(v);
    else if (k == "--threads") a.threads = std::stoi(v);
    else if (k == "--seconds") a.seconds = std::stoi(v);
    else if (k == "--outbox") a.outbox = v;
    else if (k == "--posts") a.posts = std::stoi(v);
    else if (k == "--ahead") a.ahead = std::stoi(v);
    else if (k == "--client" && (v == "raw" || v == "httplib")) a.httplib = v == "httplib";
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (a.ports.empty() || a.accounts.empty()) {
    std::fprintf(stderr, "--port and --account need at least one value\n");
    return 2;
  }
  if (a.mode == "creates") return Creates(a);
  if (a.mode == "lateness") return Lateness(a);
  std::fprintf(stderr, "unknown mode %s\n", a.mode.c_str());
  return 2;
}
