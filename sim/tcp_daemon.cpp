// Starting and stopping a real Mosquitto daemon: see tcp_daemon.h.
#include "tcp_daemon.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

namespace mqsim {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<std::string> words_of(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::uint16_t port_number(const std::string& text) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos) return 0;
  const unsigned long v = std::stoul(text);
  return v <= 65535 ? static_cast<std::uint16_t>(v) : 0;
}

// Replaces every occurrence of a path the caller supplied a file for by its copy in `dir`.
std::string redirect_named_files(std::string line, const std::map<std::string, std::string>& moved) {
  for (const auto& [from, to] : moved) {
    for (std::size_t at = 0; (at = line.find(from, at)) != std::string::npos; at += to.size()) line.replace(at, from.size(), to);
  }
  return line;
}

// One line of the config, rewritten. `listeners` counts listener/port lines seen.
std::string rewrite_line(const std::string& line, const std::string& dir, const std::function<std::uint16_t()>& free_port,
                         RewrittenConf& out, int& listeners, bool& saw_allow_anonymous) {
  const auto w = words_of(line);
  if (w.empty() || w[0][0] == '#') return line;
  const std::string& key = w[0];
  if ((key == "listener" || key == "port") && w.size() >= 2) {
    const std::uint16_t from = port_number(w[1]);
    if (from == 0) return line;  // a unix socket listener or a typo: Mosquitto will say
    ++listeners;
    if (!out.ports.count(from)) out.ports[from] = free_port();
    const std::string to = std::to_string(out.ports[from]);
    return key == "listener" ? "listener " + to + " 127.0.0.1" : "port " + to + "\nbind_address 127.0.0.1";
  }
  if (key == "bind_address") return "bind_address 127.0.0.1";
  if (key == "allow_anonymous") saw_allow_anonymous = true;
  if (key == "persistence_location") return "persistence_location " + dir + "/persistence/";
  if (key == "pid_file") return "pid_file " + dir + "/mosquitto.pid";
  if (key == "log_dest" && w.size() >= 3 && w[1] == "file") return "log_dest file " + dir + "/log/" + fs::path(w[2]).filename().string();
  if (key == "user") return "# user " + (w.size() >= 2 ? w[1] : std::string()) + " (mqsim: replaced, see the end)";
  return line;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

RewrittenConf rewrite_conf(const std::string& conf, const std::string& dir, const std::map<std::string, std::string>& files,
                           const std::function<std::uint16_t()>& free_port, bool as_root) {
  assert(!dir.empty() && dir[0] == '/');
  RewrittenConf out;
  std::map<std::string, std::string> moved;  // path as written -> its copy
  for (const auto& [path, content] : files) {
    const std::string copy = dir + "/files" + (path.empty() || path[0] != '/' ? "/" : "") + path;
    moved[path] = copy;
    out.files[copy] = content;
  }
  int listeners = 0;
  bool saw_allow_anonymous = false;
  std::istringstream in(conf);
  for (std::string line; std::getline(in, line);) {
    out.text += rewrite_line(redirect_named_files(line, moved), dir, free_port, out, listeners, saw_allow_anonymous);
    out.text += '\n';
  }
  if (listeners == 0) {
    // Mosquitto 2.0 without a listener runs in "local only mode" on port 1883 with anonymous
    // access; the simulator's broker does the same on its virtual 1883.
    out.ports[1883] = free_port();
    out.text += "# mqsim: local only mode, moved to a free port\nlistener " + std::to_string(out.ports[1883]) + " 127.0.0.1\n";
    if (!saw_allow_anonymous) out.text += "allow_anonymous true\n";
  }
  if (as_root) out.text += "# mqsim: stay the user that owns the temporary directory\nuser root\n";
  assert(!out.ports.empty());
  return out;
}

std::uint16_t pick_free_loopback_port(std::set<std::uint16_t>& taken) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;  // the kernel picks from its ephemeral range
    socklen_t len = sizeof addr;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ::close(fd);
    const std::uint16_t port = ntohs(addr.sin_port);
    if (ok && port != 0 && taken.insert(port).second) return port;
  }
  assert(false && "no free loopback port");
  std::abort();
}

bool port_listening(std::uint16_t port) {
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      const auto w = words_of(line);
      if (w.size() < 4 || w[3] != "0A") continue;  // 0A: TCP_LISTEN
      const auto colon = w[1].rfind(':');
      if (colon == std::string::npos) continue;
      if (std::stoul(w[1].substr(colon + 1), nullptr, 16) == port) return true;
    }
  }
  return false;
}

namespace {

// The process's state letter and wait channel: 'S' in "...epoll..." is asleep in epoll_wait.
// (A kernel that hides wait channels shows "0": then the state letter has to do.)
bool asleep_in_epoll(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto paren = text.rfind(')');  // the command name may hold spaces and parentheses
  if (paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] != 'S') return false;
  std::ifstream wchan("/proc/" + std::to_string(pid) + "/wchan");
  std::string where;
  std::getline(wchan, where);
  return where.find("epoll") != std::string::npos || where.empty() || where == "0";
}

}  // namespace

// Why the process state is enough: epoll is level-triggered in Mosquitto, so a socket with
// unread input, or a connection waiting in the accept queue, keeps the daemon runnable; and on
// loopback a client's send() has delivered the bytes and woken the daemon before it returns.
bool Daemon::idle() const {
  if (!running()) return true;
  return asleep_in_epoll(pid_);
}

Daemon::~Daemon() {
  stop();
  if (log_fd_ >= 0) ::close(log_fd_);
  std::error_code ec;
  if (!dir_.empty() && std::getenv("MQSIM_KEEP_DAEMON_DIR") == nullptr) fs::remove_all(dir_, ec);
}

bool Daemon::start(const DaemonConfig& config, std::string* error) {
  assert(pid_ < 0 && "one start per Daemon");
  assert(error != nullptr);
  if (access(config.binary.c_str(), X_OK) != 0) {
    *error = "cannot execute the mosquitto daemon " + config.binary + ": " + std::strerror(errno);
    return false;
  }
  char tmpl[] = "/tmp/mqsim-daemon-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    *error = std::string("mkdtemp: ") + std::strerror(errno);
    return false;
  }
  dir_ = tmpl;
  binary_ = config.binary;
  stop_grace_ms_ = config.stop_grace_ms;
  std::set<std::uint16_t> taken;
  const RewrittenConf rc = rewrite_conf(config.mosquitto_conf, dir_, config.files, [&] { return pick_free_loopback_port(taken); }, geteuid() == 0);
  ports_ = rc.ports;
  for (const char* sub : {"persistence", "log", "files"}) fs::create_directories(dir_ + "/" + sub);
  for (const auto& [path, content] : rc.files) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }
  const std::string conf_path = dir_ + "/mosquitto.conf";
  std::ofstream(conf_path, std::ios::binary) << rc.text;
  if (!spawn(conf_path, error)) return false;
  return wait_ready(config.start_timeout_ms, error);
}

bool Daemon::spawn(const std::string& conf_path, std::string* error) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    *error = std::string("pipe2: ") + std::strerror(errno);
    return false;
  }
  // Everything the child needs is prepared before fork (the strings exist, c_str() allocates
  // nothing): after it, only async-signal-safe calls.
  const pid_t parent = getpid();
  const char* binary = binary_.c_str();
  const char* conf = conf_path.c_str();
  const char* dir = dir_.c_str();
  const pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return false;
  }
  if (pid == 0) {
    // The run's process may block or ignore signals (workers do); the daemon must not inherit
    // that, or SIGTERM would not stop it.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2, SIGCHLD}) signal(sig, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the run that started it
    if (getppid() != parent) _exit(127);
    const int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    if (chdir(dir) != 0) _exit(127);
    execl(binary, binary, "-c", conf, static_cast<char*>(nullptr));
    static const char kMsg[] = "mqsim: exec of the mosquitto daemon failed\n";
    (void)!::write(2, kMsg, sizeof kMsg - 1);
    _exit(127);
  }
  ::close(pipe_fds[1]);
  log_fd_ = pipe_fds[0];
  fcntl(log_fd_, F_SETFL, fcntl(log_fd_, F_GETFL) | O_NONBLOCK);
  pid_ = pid;
  return true;
}

bool Daemon::wait_ready(std::uint32_t timeout_ms, std::string* error) {
  assert(pid_ > 0);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    read_log();  // keeps the pipe from filling; the lines wait in log_lines_ for the caller
    if (!poll_running()) {
      *error = "the mosquitto daemon exited during start-up (status " + std::to_string(exit_code_) + "): see its log";
      return false;
    }
    bool all = true;
    for (const auto& [from, to] : ports_) all = all && port_listening(to);
    if (all) return true;
    if (Clock::now() >= deadline) {
      *error = "the mosquitto daemon did not listen on its ports within " + std::to_string(timeout_ms) + " ms";
      stop();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void Daemon::reap(int status) {
  assert(!exited_);
  exited_ = true;
  exit_code_ = exit_code_of(status);
}

bool Daemon::poll_running() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) reap(status);
  return !exited_;
}

int Daemon::stop() {
  if (!poll_running()) return exit_code_;
  kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::milliseconds(stop_grace_ms_);
  while (poll_running() && Clock::now() < deadline) {
    read_log();  // a daemon blocked on a full log pipe would never finish
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!exited_) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reap(status);
  }
  read_log();
  assert(exited_);
  return exit_code_;
}

void Daemon::read_log() {
  if (log_fd_ >= 0) {
    char buf[4096];
    for (int rounds = 0; rounds < 1024; ++rounds) {
      const ssize_t n = ::read(log_fd_, buf, sizeof buf);
      if (n > 0) {
        log_partial_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    std::size_t start = 0;
    for (std::size_t nl; (nl = log_partial_.find('\n', start)) != std::string::npos; start = nl + 1) log_lines_.push_back(log_partial_.substr(start, nl - start));
    log_partial_.erase(0, start);
    if (exited_ && !log_partial_.empty()) log_lines_.push_back(std::exchange(log_partial_, {}));
  }
  assert(log_lines_.size() < (std::size_t{1} << 24) && "nobody takes the daemon's log");
}

std::vector<std::string> Daemon::take_log_lines() {
  read_log();
  return std::exchange(log_lines_, {});
}

}  // namespace mqsim
