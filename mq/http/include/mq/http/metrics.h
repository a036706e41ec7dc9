// Prometheus text-format metrics for a server (exposition format 0.0.4):
// request counters by route and status, a latency histogram per route,
// gauges read from callbacks at scrape time (DB pool use, consumer lag), and
// collectors that append whole families of their own (the broker's
// rocketmq_* series). Names of the first three get `prefix` ("shop_" for
// the shop's services).
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mq::http {

class metrics {
 public:
  explicit metrics(std::string service, std::string prefix = "");

  void observe_request(const std::string& method, const std::string& route, int status,
                       std::chrono::microseconds latency);
  // A gauge sampled at scrape time: name (snake_case, "shop_" prefixed on
  // output), help text, and a callback returning labelled values.
  using sample = std::pair<std::map<std::string, std::string>, double>;
  void add_gauge(std::string name, std::string help, std::function<std::vector<sample>()> fn);
  // A counter incremented by callers (e.g. consumer outcomes).
  void inc_counter(const std::string& name, const std::map<std::string, std::string>& labels, double by = 1);

  // Appends fn()'s text (complete "# HELP/# TYPE" families) to every render.
  void add_collector(std::function<std::string()> fn);

  std::string render() const;

  // Histogram bucket upper bounds in seconds.
  static constexpr std::array<double, 12> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct hist {
    std::array<uint64_t, buckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  struct gauge {
    std::string name, help;
    std::function<std::vector<sample>()> fn;
  };
  std::string service_, prefix_;
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // GUARDED_BY(mu_)
  std::map<std::pair<std::string, std::string>, hist> latency_;            // GUARDED_BY(mu_)
  std::vector<gauge> gauges_;                                               // GUARDED_BY(mu_)
  std::vector<std::function<std::string()>> collectors_;                    // GUARDED_BY(mu_)
  std::map<std::string, std::map<std::map<std::string, std::string>, double>> counters_;  // GUARDED_BY(mu_)
};

// Escapes a label value for the text format.
std::string escape_label(const std::string& v);
// {a="x",b="y"} (empty for no labels), values escaped.
std::string prom_labels(const std::map<std::string, std::string>& labels);
// A sample value: integers exactly, others with 9 significant digits.
std::string prom_number(double v);
// Appends "# HELP name help" and "# TYPE name type".
void prom_family(std::string& out, const std::string& name, const char* type, const std::string& help);
// Appends one sample line: `labels` plus `base` (labels wins on a clash).
void prom_sample(std::string& out, const std::string& name, std::map<std::string, std::string> labels,
                 const std::map<std::string, std::string>& base, double v);

}  // namespace mq::http
