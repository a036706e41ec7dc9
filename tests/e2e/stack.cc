#include "stack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>

#include "mq/client/admin.h"
#include "mq/common/loopback_port.h"
#include "pg_fixture.h"

extern char** environ;

namespace shop::e2e {

namespace {

uint16_t one_free_port() { return mq::loopback_free_port(); }
// A port p with p+1 free too (the broker's HA port).
uint16_t free_port_pair() { return mq::loopback_free_port(0, 1); }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::vector<std::string> service_names = {"goods", "coupon", "user", "order", "pay"};

std::string role_of(const std::string& s) { return "shop_" + s; }
std::string schema_of(const std::string& s) { return s == "order" ? "orders" : s == "user" ? "users" : s; }
std::string binary_of(const std::string& s) {
  if (s == "namesrv") return MQ_NAMESRV_BIN;
  if (s == "broker") return MQ_BROKER_BIN;
  return std::string(SHOP_BINARY_DIR) + "/services/" + s + "/shop-" + s;
}

// The consumer groups the services run (the stack waits for all of them).
const std::vector<std::string> groups = {"goods_order_cancel_group", "coupon_order_cancel_group",
                                         "user_order_cancel_group",  "user_paid_group",
                                         "order_order_cancel_group", "order_check_group",
                                         "order_paid_group",         "order_step_group"};

// Forks every child from one thread that lives as long as the test process.
// PR_SET_PDEATHSIG fires when the *thread* that forked a child exits, not the
// process: a child restarted from a short-lived thread (the chaos test's
// killer) was SIGKILLed the moment that thread ended.
class spawner {
 public:
  static spawner& get() {
    static spawner* s = new spawner;  // never destroyed: its thread must outlive every child
    return *s;
  }
  pid_t run(std::function<pid_t()> fork_fn) {
    std::packaged_task<pid_t()> task(std::move(fork_fn));
    auto f = task.get_future();
    {
      std::lock_guard lk(mu_);
      q_.push_back(std::move(task));
    }
    cv_.notify_one();
    return f.get();
  }

 private:
  spawner() {
    std::thread([this] {
      while (true) {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [this] { return !q_.empty(); });
        auto t = std::move(q_.front());
        q_.pop_front();
        lk.unlock();
        t();
      }
    }).detach();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<pid_t()>> q_;
};

}  // namespace

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

struct stack::proc {
  std::string name;
  std::vector<std::string> args;
  std::string log;
  pid_t pid = -1;
  uint16_t port = 0;  // HTTP port of a service
  std::string faults;
};

stack& stack::get() {
  static stack s;
  return s;
}

stack::stack() : client_([] {
  http::client_options o;
  o.request_timeout = 15s;
  o.retries_for_idempotent = 0;
  return o;
}()) {
  auto& pg = db::test::pg_server::instance();
  pg.bootstrap_shop();
  pg_admin_url_ = pg.url("shop", "postgres");
  char tmpl[] = "/tmp/shop_e2e_XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  namesrv_port_ = one_free_port();
  broker_port_ = free_port_pair();
  for (auto& s : service_names) ports_[s] = one_free_port();
  write_configs();

  auto add = [&](const std::string& name, std::vector<std::string> args) {
    auto p = std::make_unique<proc>();
    p->name = name;
    p->args = std::move(args);
    p->log = dir_ + "/" + name + ".log";
    if (ports_.contains(name)) p->port = ports_[name];
    procs_.push_back(std::move(p));
  };
  add("namesrv", {"listenPort=" + std::to_string(namesrv_port_), "kvConfigPath=" + dir_ + "/kv.json"});
  add("broker", {"-n", namesrv(), "-c", dir_ + "/broker.conf"});
  for (auto& s : service_names) add(s, {"-c", dir_ + "/" + s + ".conf"});

  start("namesrv");
  start("broker");
  for (auto& s : service_names) start(s);

  // Every consumer group registered with the broker: from here on no test
  // message can slip past a group that has not started.
  mq::client::client_options ao;
  ao.namesrv_addr = namesrv();
  mq::client::admin_client admin(ao);
  (void)admin.start();
  for (auto& g : groups) {
    bool up = eventually([&] {
      auto c = admin.consumer_connections(g);
      return c && !c->connections.empty();
    }, 60s);
    if (!up) throw std::runtime_error("consumer group " + g + " did not come up; logs in " + dir_);
  }
  admin.shutdown();
}

stack::~stack() {
  for (auto it = procs_.rbegin(); it != procs_.rend(); ++it) {
    auto& p = **it;
    if (p.pid > 0) {
      ::kill(p.pid, SIGKILL);
      ::waitpid(p.pid, nullptr, 0);
      p.pid = -1;
    }
  }
  conn_.reset();
  if (!std::getenv("SHOP_E2E_KEEP")) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string stack::namesrv() const { return "127.0.0.1:" + std::to_string(namesrv_port_); }

void stack::write_configs() {
  std::ofstream(dir_ + "/broker.conf") << "brokerClusterName=DefaultCluster\n"
                                          "brokerName=broker-e2e\nbrokerId=0\nbrokerRole=ASYNC_MASTER\n"
                                          "flushDiskType=ASYNC_FLUSH\nbrokerIP1=127.0.0.1\n"
                                          "listenPort="
                                       << broker_port_ << "\nstorePathRootDir=" << dir_
                                       << "/store\n"
                                          "mappedFileSizeCommitLog=67108864\n"
                                          "fastListenPortEnable=false\n"
                                          "autoCreateTopicEnable=true\nautoCreateSubscriptionGroup=true\n"
                                          // Short delays: retries (level 3 + n) and the order check (level 5).
                                          "messageDelayLevel=1s 2s 3s 4s 5s 6s 7s 8s 9s 10s 20s 30s 1m 2m 3m 4m 5m 6m\n"
                                          "transactionTimeOut=2000\ntransactionCheckInterval=1000\n";
  auto url = db::test::pg_server::instance().url("shop", "");
  for (auto& s : service_names) {
    std::ofstream c(dir_ + "/" + s + ".conf");
    c << "http.port=" << ports_[s] << "\n"
      << "db.url=" << db::test::pg_server::instance().shop_url(role_of(s)) << "\n"
      << "db.schema=" << schema_of(s) << "\n"
      << "db.pool=8\n"
      << "sql.dir=" << SHOP_SOURCE_DIR << "/sql\n"
      << "mq.namesrv=" << namesrv() << "\n"
      << "order.check.delay.level=" << check_delay_level << "\n"
      << "id.worker=" << (s == "order" ? 1 : s == "pay" ? 2 : 0) << "\n";
    for (auto& o : service_names) c << "service." << o << "=127.0.0.1:" << ports_[o] << "\n";
  }
}

stack::proc& stack::find(const std::string& name) {
  for (auto& p : procs_)
    if (p->name == name) return *p;
  throw std::invalid_argument("no process " + name);
}

void stack::spawn(proc& p, const std::string& faults) {
  std::string bin = binary_of(p.name);
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "SHOP_FAULTS=", 12) != 0) env.emplace_back(*e);
  if (!faults.empty()) env.push_back("SHOP_FAULTS=" + faults);
  std::vector<char*> envp, argv{bin.data()};
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  for (auto& a : p.args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fd = ::open(p.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + p.log);
  pid_t pid = spawner::get().run([&]() -> pid_t {
    pid_t parent = ::getpid();
    pid_t child = ::fork();
    if (child != 0) return child;
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test process
    if (::getppid() != parent) ::_exit(127);  // it died before the prctl
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execve(bin.c_str(), argv.data(), envp.data());
    ::_exit(127);
  });
  ::close(fd);
  if (pid < 0) throw std::runtime_error("fork failed");
  p.pid = pid;
}

void stack::start(const std::string& name, const std::string& faults) {
  auto& p = find(name);
  if (p.pid > 0) throw std::logic_error(name + " is already running");
  size_t from = std::filesystem::exists(p.log) ? std::filesystem::file_size(p.log) : 0;
  spawn(p, faults);
  p.faults = faults;
  bool up = false;
  if (p.port == 0) {
    up = eventually([&] { return slurp(p.log).find("boot success", from) != std::string::npos || !running(name); }, 30s) &&
         running(name);
  } else {
    up = eventually([&] {
      if (!running(name)) return true;
      auto r = client_.get("127.0.0.1:" + std::to_string(p.port), "/healthz");
      return r && r->status == 200;
    }, 30s) && running(name);
  }
  if (!up) throw std::runtime_error(name + " did not start:\n" + log_tail(name));
}

void stack::reset() {
  for (auto& p : procs_) {
    if (running(p->name) && p->faults.empty()) continue;
    stop(p->name);
    start(p->name);
  }
}

bool stack::running(const std::string& name) {
  auto& p = find(name);
  if (p.pid <= 0) return false;
  int st = 0;
  if (::waitpid(p.pid, &st, WNOHANG) == p.pid) {
    p.pid = -1;
    return false;
  }
  return true;
}

void stack::kill(const std::string& name) {
  auto& p = find(name);
  if (p.pid <= 0) return;
  ::kill(p.pid, SIGKILL);
  ::waitpid(p.pid, nullptr, 0);
  p.pid = -1;
}

void stack::stop(const std::string& name) {
  auto& p = find(name);
  if (p.pid <= 0) return;
  ::kill(p.pid, SIGTERM);
  bool gone = eventually([&] { return !running(name); }, 30s);
  if (!gone) kill(name);
}

std::string stack::log_tail(const std::string& name, size_t bytes) {
  auto s = slurp(find(name).log);
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

response stack::post_raw(const std::string& service, const std::string& target, const std::string& body,
                         const std::map<std::string, std::string>& headers) {
  response out;
  auto h = headers;
  h.emplace("Content-Type", "application/json");
  auto r = client_.request("POST", "127.0.0.1:" + std::to_string(ports_.at(service)), target, body, http::idempotent::no, h);
  if (!r) return out;
  out.status = r->status;
  out.headers = r->headers;
  out.body = json::parse(r->body, nullptr, false);
  if (out.body.is_discarded()) out.body = r->body;
  return out;
}

response stack::post(const std::string& service, const std::string& target, const json& body,
                     const std::map<std::string, std::string>& headers) {
  return post_raw(service, target, body.dump(), headers);
}

response stack::get(const std::string& service, const std::string& target) {
  response out;
  auto r = client_.request("GET", "127.0.0.1:" + std::to_string(ports_.at(service)), target, "", http::idempotent::no);
  if (!r) return out;
  out.status = r->status;
  out.headers = r->headers;
  out.body = json::parse(r->body, nullptr, false);
  return out;
}

pqxx::result stack::sql(const std::string& q) {
  std::lock_guard lk(mu_);
  for (int attempt = 0;; ++attempt) {
    try {
      if (!conn_ || !conn_->is_open()) conn_ = std::make_unique<pqxx::connection>(pg_admin_url_);
      pqxx::work tx(*conn_);
      auto r = tx.exec(q);
      tx.commit();
      return r;
    } catch (const pqxx::broken_connection&) {
      conn_.reset();
      if (attempt >= 2) throw;
    }
  }
}

int64_t stack::scalar(const std::string& q) {
  auto r = sql(q);
  return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<int64_t>();
}

int64_t stack::new_user(const std::string& balance) {
  int64_t id = ++next_id_;
  sql("INSERT INTO users.trade_user (user_id, user_name, user_password, user_mobile, user_score, user_money) VALUES (" +
      std::to_string(id) + ", 'e2e user " + std::to_string(id) + "', 'x', '', 0, " + balance + ")");
  users_[id] = balance;
  return id;
}

int64_t stack::new_goods(const std::string& price, int64_t stock) {
  int64_t id = ++next_id_;
  sql("INSERT INTO goods.trade_goods (goods_id, goods_name, goods_number, goods_price, goods_desc) VALUES (" +
      std::to_string(id) + ", 'e2e goods', " + std::to_string(stock) + ", " + price + ", '')");
  goods_[id] = stock;
  return id;
}

int64_t stack::new_coupon(int64_t user_id, const std::string& price) {
  int64_t id = ++next_id_;
  sql("INSERT INTO coupon.trade_coupon (coupon_id, coupon_price, user_id, is_used) VALUES (" + std::to_string(id) + ", " +
      price + ", " + std::to_string(user_id) + ", 0)");
  coupons_.push_back(id);
  return id;
}

std::vector<std::string> stack::inconsistencies() {
  std::vector<std::string> bad;
  auto say = [&](const std::string& s) { bad.push_back(s); };
  for (auto& [id, initial] : users_) {
    auto ids = std::to_string(id);
    auto r = sql(
        "SELECT u.user_money = " + initial + " - paid + refunded, u.user_money::text, paid::text, refunded::text, "
        "paid - refunded = held, held::text, u.user_score, expected_score FROM users.trade_user u, "
        "LATERAL (SELECT coalesce(sum(use_money) FILTER (WHERE money_log_type = 1), 0) AS paid, "
        "                coalesce(sum(use_money) FILTER (WHERE money_log_type = 2), 0) AS refunded "
        "         FROM users.trade_user_money_log WHERE user_id = u.user_id) l, "
        "LATERAL (SELECT coalesce(sum(money_paid), 0) AS held FROM orders.trade_order "
        "         WHERE user_id = u.user_id AND order_status = 1) o, "
        "LATERAL (SELECT coalesce(sum(floor(pay_amount)), 0)::bigint AS expected_score FROM pay.trade_pay "
        "         WHERE user_id = u.user_id AND is_paid = 2) p "
        "WHERE u.user_id = " + ids);
    if (r.empty()) {
      say("user " + ids + " is gone");
      continue;
    }
    auto& x = r[0];
    if (!x[0].as<bool>())
      say("user " + ids + ": balance " + x[1].c_str() + " != " + initial + " - paid " + x[2].c_str() + " + refunded " +
          x[3].c_str());
    if (!x[4].as<bool>())
      say("user " + ids + ": paid - refunded (" + x[2].c_str() + " - " + x[3].c_str() +
          ") != balance held by confirmed orders " + x[5].c_str());
    if (x[6].as<int64_t>() != x[7].as<int64_t>())
      say("user " + ids + ": score " + x[6].c_str() + " != Σ whole units of paid payments " + x[7].c_str());
  }
  for (auto& [id, initial] : goods_) {
    auto ids = std::to_string(id);
    auto r = sql(
        "SELECT g.goods_number, reduced, restored, held FROM goods.trade_goods g, "
        "LATERAL (SELECT coalesce(sum(goods_number) FILTER (WHERE log_type = 1), 0)::bigint AS reduced, "
        "                coalesce(sum(goods_number) FILTER (WHERE log_type = 2), 0)::bigint AS restored "
        "         FROM goods.trade_goods_number_log WHERE goods_id = g.goods_id) l, "
        "LATERAL (SELECT coalesce(sum(goods_number), 0)::bigint AS held FROM orders.trade_order "
        "         WHERE goods_id = g.goods_id AND order_status = 1) o WHERE g.goods_id = " + ids);
    if (r.empty()) {
      say("goods " + ids + " is gone");
      continue;
    }
    int64_t stock = r[0][0].as<int64_t>(), reduced = r[0][1].as<int64_t>(), restored = r[0][2].as<int64_t>(),
            held = r[0][3].as<int64_t>();
    if (stock != initial - reduced + restored)
      say("goods " + ids + ": stock " + std::to_string(stock) + " != " + std::to_string(initial) + " - " +
          std::to_string(reduced) + " + " + std::to_string(restored));
    if (reduced - restored != held)
      say("goods " + ids + ": reduced - restored = " + std::to_string(reduced - restored) +
          " != units held by confirmed orders " + std::to_string(held));
  }
  for (auto id : coupons_) {
    auto ids = std::to_string(id);
    auto r = sql("SELECT c.is_used, coalesce(c.order_id, 0), (SELECT count(*) FROM orders.trade_order o "
                 "WHERE o.coupon_id = c.coupon_id AND o.order_status = 1), (SELECT coalesce(max(order_id), 0) "
                 "FROM orders.trade_order o WHERE o.coupon_id = c.coupon_id AND o.order_status = 1) "
                 "FROM coupon.trade_coupon c WHERE c.coupon_id = " + ids);
    if (r.empty()) continue;
    int used = r[0][0].as<int>();
    int64_t holder = r[0][1].as<int64_t>(), confirmed = r[0][2].as<int64_t>(), by = r[0][3].as<int64_t>();
    if (confirmed > 1) say("coupon " + ids + " held by " + std::to_string(confirmed) + " confirmed orders");
    if ((used == 1) != (confirmed == 1) || (used == 1 && holder != by))
      say("coupon " + ids + ": is_used " + std::to_string(used) + " (order " + std::to_string(holder) + ") but " +
          std::to_string(confirmed) + " confirmed order(s) hold it");
  }
  // No order left unconfirmed (the delayed check cancels them).
  for (const auto& row : sql("SELECT order_id FROM orders.trade_order WHERE order_status = 0"))
    say("order " + std::string(row[0].c_str()) + " is still unconfirmed");
  // Every paid payment reached its order.
  for (const auto& row : sql("SELECT p.pay_id, p.order_id FROM pay.trade_pay p JOIN orders.trade_order o USING (order_id) "
                             "WHERE p.is_paid = 2 AND o.pay_status <> 2"))
    say("payment " + std::string(row[0].c_str()) + " is paid but order " + row[1].c_str() + " is not");
  // Each order's consumed steps: its status's step first, in life order.
  for (const auto& row : sql(
           "SELECT o.order_id, o.order_status, o.pay_status, o.shipping_status, "
           "coalesce(string_agg(s.step, ',' ORDER BY s.seq), '') FROM orders.trade_order o "
           "LEFT JOIN orders.order_step_log s USING (order_id) GROUP BY o.order_id")) {
    int os = row[1].as<int>(), ps = row[2].as<int>(), ss = row[3].as<int>();
    std::string got = row[4].c_str(), want;
    if (os == 2) want = "cancelled";
    if (os == 1) {
      want = "created";
      if (ps == 2) want += ",paid";
      if (ss >= 1) want += ",shipped";
      if (ss >= 2) want += ",finished";
    }
    if (os != 0 && got != want)
      say("order " + std::string(row[0].c_str()) + ": steps [" + got + "], expected [" + want + "]");
  }
  return bad;
}

std::vector<std::string> stack::settle(std::chrono::milliseconds timeout) {
  std::vector<std::string> last;
  eventually([&] {
    last = inconsistencies();
    return last.empty();
  }, timeout);
  return last;
}

}  // namespace shop::e2e
