#include "shop/http/metrics.h"

#include <sstream>
#include <tuple>

namespace shop::http {

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

namespace {
std::string labels_text(const std::map<std::string, std::string>& labels) {
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
std::string num(double v) {
  std::ostringstream o;
  o.precision(9);
  o << v;
  return o.str();
}
}  // namespace

metrics::metrics(std::string service) : service_(std::move(service)) {}

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
  std::string out;
  {
    std::lock_guard lk(mu_);
    gauges = gauges_;
    out += "# HELP shop_http_requests_total HTTP requests by route and status.\n";
    out += "# TYPE shop_http_requests_total counter\n";
    for (auto& [key, n] : requests_) {
      auto& [method, route, status] = key;
      out += "shop_http_requests_total" +
             labels_text({{"service", service_}, {"method", method}, {"route", route}, {"status", std::to_string(status)}}) +
             " " + std::to_string(n) + "\n";
    }
    out += "# HELP shop_http_request_duration_seconds HTTP request latency.\n";
    out += "# TYPE shop_http_request_duration_seconds histogram\n";
    for (auto& [key, h] : latency_) {
      std::map<std::string, std::string> base{{"service", service_}, {"method", key.first}, {"route", key.second}};
      for (size_t i = 0; i < buckets.size(); ++i) {
        auto l = base;
        l["le"] = num(buckets[i]);
        out += "shop_http_request_duration_seconds_bucket" + labels_text(l) + " " + std::to_string(h.counts[i]) + "\n";
      }
      auto l = base;
      l["le"] = "+Inf";
      out += "shop_http_request_duration_seconds_bucket" + labels_text(l) + " " + std::to_string(h.count) + "\n";
      out += "shop_http_request_duration_seconds_sum" + labels_text(base) + " " + num(h.sum) + "\n";
      out += "shop_http_request_duration_seconds_count" + labels_text(base) + " " + std::to_string(h.count) + "\n";
    }
    for (auto& [name, series] : counters_) {
      out += "# TYPE shop_" + name + " counter\n";
      for (auto& [labels, v] : series) {
        auto l = labels;
        l["service"] = service_;
        out += "shop_" + name + labels_text(l) + " " + num(v) + "\n";
      }
    }
  }
  // Gauges are sampled outside the lock (their callbacks may take other locks).
  for (auto& g : gauges) {
    out += "# HELP shop_" + g.name + " " + g.help + "\n# TYPE shop_" + g.name + " gauge\n";
    for (auto& [labels, v] : g.fn()) {
      auto l = labels;
      l["service"] = service_;
      out += "shop_" + g.name + labels_text(l) + " " + num(v) + "\n";
    }
  }
  return out;
}

}  // namespace shop::http
