#include "mq/http/metrics.h"

#include <cmath>
#include <cstdint>
#include <sstream>
#include <tuple>

namespace mq::http {

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string prom_labels(const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"" + escape_label(v) + "\"";
  }
  return out + "}";
}
std::string prom_number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) return std::to_string(static_cast<int64_t>(v));
  std::ostringstream o;
  o.precision(9);
  o << v;
  return o.str();
}

void prom_family(std::string& out, const std::string& name, const char* type, const std::string& help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void prom_sample(std::string& out, const std::string& name, std::map<std::string, std::string> labels,
                 const std::map<std::string, std::string>& base, double v) {
  for (auto& [k, x] : base) labels.emplace(k, x);
  out += name + prom_labels(labels) + " " + prom_number(v) + "\n";
}

metrics::metrics(std::string service, std::string prefix) : service_(std::move(service)), prefix_(std::move(prefix)) {}

void metrics::add_collector(std::function<std::string()> fn) {
  std::lock_guard lk(mu_);
  collectors_.push_back(std::move(fn));
}

void metrics::observe_request(const std::string& method, const std::string& route, int status,
                              std::chrono::microseconds latency) {
  double secs = static_cast<double>(latency.count()) / 1e6;
  std::lock_guard lk(mu_);
  requests_[{method, route, status}]++;
  auto& h = latency_[{method, route}];
  for (size_t i = 0; i < buckets.size(); ++i)
    if (secs <= buckets[i]) h.counts[i]++;
  h.count++;
  h.sum += secs;
}

void metrics::add_gauge(std::string name, std::string help, std::function<std::vector<sample>()> fn) {
  std::lock_guard lk(mu_);
  gauges_.push_back({std::move(name), std::move(help), std::move(fn)});
}

void metrics::inc_counter(const std::string& name, const std::map<std::string, std::string>& labels, double by) {
  std::lock_guard lk(mu_);
  counters_[name][labels] += by;
}

std::string metrics::render() const {
  std::vector<gauge> gauges;
  std::vector<std::function<std::string()>> collectors;
  std::string out;
  {
    std::lock_guard lk(mu_);
    gauges = gauges_;
    collectors = collectors_;
    out += "# HELP " + prefix_ + "http_requests_total HTTP requests by route and status.\n";
    out += "# TYPE " + prefix_ + "http_requests_total counter\n";
    for (auto& [key, n] : requests_) {
      auto& [method, route, status] = key;
      out += prefix_ + "http_requests_total" +
             prom_labels({{"service", service_}, {"method", method}, {"route", route}, {"status", std::to_string(status)}}) +
             " " + std::to_string(n) + "\n";
    }
    out += "# HELP " + prefix_ + "http_request_duration_seconds HTTP request latency.\n";
    out += "# TYPE " + prefix_ + "http_request_duration_seconds histogram\n";
    for (auto& [key, h] : latency_) {
      std::map<std::string, std::string> base{{"service", service_}, {"method", key.first}, {"route", key.second}};
      for (size_t i = 0; i < buckets.size(); ++i) {
        auto l = base;
        l["le"] = prom_number(buckets[i]);
        out += prefix_ + "http_request_duration_seconds_bucket" + prom_labels(l) + " " + std::to_string(h.counts[i]) + "\n";
      }
      auto l = base;
      l["le"] = "+Inf";
      out += prefix_ + "http_request_duration_seconds_bucket" + prom_labels(l) + " " + std::to_string(h.count) + "\n";
      out += prefix_ + "http_request_duration_seconds_sum" + prom_labels(base) + " " + prom_number(h.sum) + "\n";
      out += prefix_ + "http_request_duration_seconds_count" + prom_labels(base) + " " + std::to_string(h.count) + "\n";
    }
    for (auto& [name, series] : counters_) {
      out += "# TYPE " + prefix_ + name + " counter\n";
      for (auto& [labels, v] : series) {
        auto l = labels;
        l["service"] = service_;
        out += prefix_ + name + prom_labels(l) + " " + prom_number(v) + "\n";
      }
    }
  }
  // Gauges are sampled outside the lock (their callbacks may take other locks).
  for (auto& g : gauges) {
    out += "# HELP " + prefix_ + g.name + " " + g.help + "\n# TYPE " + prefix_ + g.name + " gauge\n";
    for (auto& [labels, v] : g.fn()) {
      auto l = labels;
      l["service"] = service_;
      out += prefix_ + g.name + prom_labels(l) + " " + prom_number(v) + "\n";
    }
  }
  for (auto& c : collectors) out += c();
  return out;
}

}  // namespace mq::http
