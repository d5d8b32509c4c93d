// The broker's C library. The build renames these libc calls in Mosquitto's objects only
// (vendor/interpose.syms): `socket` becomes `mqsim_socket`, and so on. Each function here is a
// thin translation into the live BrokerHost; the simulator, OpenSSL and libc itself keep the
// real functions.
//
// Rules: no state of its own (state belongs to BrokerHost, which resets it per run); every
// answer depends only on virtual time, the run's Prng and the virtual network.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "arena.h"
#include "broker_host.h"

using mqsim::BrokerHost;

namespace {

BrokerHost& host() {
  BrokerHost* h = BrokerHost::current();
  assert(h != nullptr && "the broker ran without a BrokerHost");
  return *h;
}

[[noreturn]] void refuse(const char* what) {
  std::fprintf(stderr, "mqsim: the broker called %s, which the simulator refuses\n", what);
  std::abort();
}

// Clients appear to the broker as 10.0.<id/250>.<id%250+2>:<40000+id>: stable per connection.
void fill_peer(struct sockaddr* addr, socklen_t* len, std::uint32_t conn_id) {
  if (addr == nullptr || len == nullptr) return;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(static_cast<std::uint16_t>(40000 + conn_id % 20000));
  in.sin_addr.s_addr = htonl((10u << 24) | ((conn_id / 250) << 8) | (conn_id % 250 + 2));
  std::memcpy(addr, &in, std::min<std::size_t>(*len, sizeof in));
  *len = sizeof in;
}

void log_formatted(const char* fmt, va_list ap) {
  char line[4096];
  const int n = std::vsnprintf(line, sizeof line, fmt, ap);
  if (n > 0) host().shim_log(std::string_view(line, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof line - 1)));
}

}  // namespace

extern "C" {

// ---- sockets ----
int mqsim_socket(int, int, int) { return host().shim_socket(); }

int mqsim_bind(int fd, const struct sockaddr* addr, socklen_t) {
  std::uint16_t port = 0;
  if (addr->sa_family == AF_INET) port = ntohs(reinterpret_cast<const sockaddr_in*>(addr)->sin_port);
  if (addr->sa_family == AF_INET6) port = ntohs(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_port);
  return host().shim_listen_bind(fd, port);
}

int mqsim_listen(int, int) { return 0; }

int mqsim_accept(int fd, struct sockaddr* addr, socklen_t* len) {
  std::uint32_t conn = 0;
  const int client_fd = host().shim_accept(fd, &conn);
  if (client_fd >= 0) fill_peer(addr, len, conn);
  return client_fd;
}

int mqsim_connect(int, const struct sockaddr*, socklen_t) {
  errno = ECONNREFUSED;  // bridges have no peer broker in the simulator
  return -1;
}

int mqsim_getpeername(int fd, struct sockaddr* addr, socklen_t* len) {
  mqsim::Connection* c = host().conn_of_fd(fd);
  if (c == nullptr) {
    errno = ENOTCONN;
    return -1;
  }
  fill_peer(addr, len, c->id);
  return 0;
}

// One fixed IPv4 answer: the real resolver's order depends on /etc/gai.conf.
int mqsim_getaddrinfo(const char* node, const char* service, const struct addrinfo* hints, struct addrinfo** res) {
  if (hints != nullptr && hints->ai_family == AF_INET6) return EAI_FAMILY;
  in_addr_t ip = htonl(INADDR_ANY);
  if (node != nullptr) {
    in_addr parsed{};
    if (std::strcmp(node, "localhost") == 0) ip = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, node, &parsed) == 1) ip = parsed.s_addr;
    else return EAI_NONAME;
  }
  auto* sa = static_cast<sockaddr_in*>(std::calloc(1, sizeof(sockaddr_in)));
  auto* ai = static_cast<addrinfo*>(std::calloc(1, sizeof(addrinfo)));
  sa->sin_family = AF_INET;
  sa->sin_port = htons(static_cast<std::uint16_t>(service ? std::atoi(service) : 0));
  sa->sin_addr.s_addr = ip;
  ai->ai_family = AF_INET;
  ai->ai_socktype = SOCK_STREAM;
  ai->ai_protocol = IPPROTO_TCP;
  ai->ai_addrlen = sizeof(sockaddr_in);
  ai->ai_addr = reinterpret_cast<sockaddr*>(sa);
  *res = ai;
  return 0;
}

void mqsim_freeaddrinfo(struct addrinfo* ai) {
  if (ai == nullptr) return;
  std::free(ai->ai_addr);
  std::free(ai);
}

const char* mqsim_gai_strerror(int code) { return gai_strerror(code); }

int mqsim_getifaddrs(struct ifaddrs**) {
  errno = ENOSYS;
  return -1;
}
void mqsim_freeifaddrs(struct ifaddrs*) {}

int mqsim_setsockopt(int, int, int, const void*, socklen_t) { return 0; }

int mqsim_getsockopt(int, int, int, void* val, socklen_t* len) {
  if (val != nullptr && len != nullptr && *len >= sizeof(int)) std::memset(val, 0, sizeof(int));
  return 0;
}

int mqsim_fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const long arg = va_arg(ap, long);
  va_end(ap);
  if (!host().is_virtual_fd(fd)) return fcntl(fd, cmd, arg);
  return cmd == F_GETFL ? O_RDWR : 0;
}

ssize_t mqsim_read(int fd, void* buf, size_t size) {
  if (!host().is_virtual_fd(fd)) return read(fd, buf, size);
  return host().shim_read(fd, buf, size);
}

ssize_t mqsim_send(int fd, const void* buf, size_t size, int) { return host().shim_send(fd, buf, size); }

int mqsim_close(int fd) {
  if (!host().is_virtual_fd(fd)) return close(fd);
  return host().shim_close(fd);
}

int mqsim_epoll_create(int) { return host().shim_epoll_create(); }
int mqsim_epoll_create1(int) { return host().shim_epoll_create(); }
int mqsim_epoll_ctl(int epfd, int op, int fd, struct epoll_event* event) { return host().shim_epoll_ctl(epfd, op, fd, event); }
int mqsim_epoll_wait(int epfd, struct epoll_event* events, int max_events, int) {
  return host().shim_epoll_wait(epfd, events, max_events);
}

// ---- time and randomness ----
int mqsim_clock_gettime(clockid_t, struct timespec* ts) {
  const std::uint64_t ms = host().now_ms();
  ts->tv_sec = BrokerHost::kEpochS + static_cast<time_t>(ms / 1000);
  ts->tv_nsec = static_cast<long>(ms % 1000) * 1000000L;
  return 0;
}

time_t mqsim_time(time_t* out) {
  const time_t now = BrokerHost::kEpochS + static_cast<time_t>(host().now_ms() / 1000);
  if (out != nullptr) *out = now;
  return now;
}

int mqsim_gettimeofday(struct timeval* tv, void*) {
  const std::uint64_t ms = host().now_ms();
  tv->tv_sec = BrokerHost::kEpochS + static_cast<time_t>(ms / 1000);
  tv->tv_usec = static_cast<suseconds_t>(ms % 1000) * 1000;
  return 0;
}

// UTC whatever the machine's TZ: log timestamps must not depend on where the run happens.
struct tm* mqsim_localtime(const time_t* t) {
  static struct tm result;
  return gmtime_r(t, &result);
}

int mqsim_RAND_bytes(unsigned char* buf, int num) {
  for (int i = 0; i < num; ++i) buf[i] = static_cast<unsigned char>(host().prng().next() >> 56);
  return 1;
}

void mqsim_srand(unsigned) {}

// ---- process ----
int mqsim_sigprocmask(int, const sigset_t*, sigset_t*) { return 0; }

long mqsim_sysconf(int name) { return name == _SC_OPEN_MAX ? BrokerHost::kOpenMax : sysconf(name); }

sighandler_t mqsim_signal(int signum, sighandler_t handler) {
  host().shim_set_signal(signum, handler);
  return SIG_DFL;
}

// Not root, so Mosquitto never tries to drop privileges of the test process.
uid_t mqsim_geteuid() { return 1000; }
uid_t mqsim_getuid() { return 1000; }
gid_t mqsim_getegid() { return 1000; }
gid_t mqsim_getgid() { return 1000; }
pid_t mqsim_getpid() { return 1; }
int mqsim_setuid(uid_t) { refuse("setuid"); }
int mqsim_setgid(gid_t) { refuse("setgid"); }
int mqsim_initgroups(const char*, gid_t) { refuse("initgroups"); }
pid_t mqsim_fork() { refuse("fork (daemon mode)"); }
pid_t mqsim_setsid() { refuse("setsid (daemon mode)"); }
FILE* mqsim_freopen(const char*, const char*, FILE*) { refuse("freopen (daemon mode)"); }

int mqsim_gethostname(char* name, size_t len) {
  std::snprintf(name, len, "mqsim");
  return 0;
}

[[noreturn]] void mqsim_exit(int status) { host().shim_exit(status); }

mode_t mqsim_umask(mode_t) { return 022; }  // the test process's umask stays untouched

// ---- output ----
int mqsim_fprintf(FILE* f, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = 0;
  if (f == stdout || f == stderr) log_formatted(fmt, ap);
  else n = std::vfprintf(f, fmt, ap);
  va_end(ap);
  return n;
}

int mqsim_printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_formatted(fmt, ap);
  va_end(ap);
  return 0;
}

int mqsim_puts(const char* s) {
  host().shim_log(s);
  host().shim_log("\n");
  return 1;
}

int mqsim_putchar(int c) {
  const char ch = static_cast<char>(c);
  host().shim_log(std::string_view(&ch, 1));
  return c;
}

// The compiler turns fprintf(stderr, "no payload\n") into fwrite() and a "%s\n" printf into
// puts(); whatever form reaches stdout or stderr becomes log lines of the trace, never the test
// process's own output.
size_t mqsim_fwrite(const void* data, size_t size, size_t count, FILE* f) {
  if (f != stdout && f != stderr) return std::fwrite(data, size, count, f);
  host().shim_log(std::string_view(static_cast<const char*>(data), size * count));
  return count;
}

int mqsim_fputs(const char* s, FILE* f) {
  if (f != stdout && f != stderr) return std::fputs(s, f);
  host().shim_log(s);
  return 1;
}

int mqsim_fputc(int c, FILE* f) {
  if (f != stdout && f != stderr) return std::fputc(c, f);
  const char ch = static_cast<char>(c);
  host().shim_log(std::string_view(&ch, 1));
  return static_cast<unsigned char>(c);
}

int mqsim_putc(int c, FILE* f) { return mqsim_fputc(c, f); }

// Also 2.1's libcommon_printf() fallback before logging is set up.
int mqsim_vfprintf(FILE* f, const char* fmt, va_list ap) {
  if (f != stdout && f != stderr) return std::vfprintf(f, fmt, ap);
  log_formatted(fmt, ap);
  return 0;
}

int mqsim_vprintf(const char* fmt, va_list ap) {
  log_formatted(fmt, ap);
  return 0;
}

void mqsim_perror(const char* s) {
  const std::string text = (s != nullptr && *s != '\0' ? std::string(s) + ": " : std::string()) + std::strerror(errno) + "\n";
  host().shim_log(text);
}

void mqsim_openlog(const char*, int, int) {}
void mqsim_closelog() {}
void mqsim_syslog(int, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_formatted(fmt, ap);
  va_end(ap);
  host().shim_log("\n");
}

// ---- files: all inside the run's sandbox ----
FILE* mqsim_fopen(const char* path, const char* mode) { return host().open_broker_file(path, mode); }
int mqsim_remove(const char* path) { return std::remove(host().sandbox_path(path, false).c_str()); }
int mqsim_unlink(const char* path) { return unlink(host().sandbox_path(path, false).c_str()); }
int mqsim_rename(const char* from, const char* to) {
  return std::rename(host().sandbox_path(from, false).c_str(), host().sandbox_path(to, true).c_str());
}
DIR* mqsim_opendir(const char* path) { return host().open_broker_dir(path); }
int mqsim_fsync(int) { return 0; }

// Files in the sandbox belong to whoever runs the tests; to the broker they belong to its own
// (fake) user and are private, so its ownership and permission warnings never depend on the
// machine (they name the local user behind uid 1000 otherwise).
int mqsim_fstat(int fd, struct stat* st) {
  const int rc = fstat(fd, st);
  if (rc == 0) {
    st->st_uid = mqsim_geteuid();
    st->st_gid = mqsim_getegid();
    st->st_mode &= ~static_cast<mode_t>(S_IRWXG | S_IRWXO);
  }
  return rc;
}  // the sandbox is thrown away; durability is not simulated here

// ---- heap: the per-run arena ----
void* mqsim_malloc(size_t size) { return mqsim::arena::allocate(size); }
void* mqsim_calloc(size_t n, size_t size) { return mqsim::arena::allocate_zeroed(n, size); }
void* mqsim_realloc(void* p, size_t size) {
  if (p != nullptr && !mqsim::arena::owns(p)) return std::realloc(p, size);
  return mqsim::arena::reallocate(p, size);
}
void mqsim_free(void* p) {
  if (p != nullptr && !mqsim::arena::owns(p)) return std::free(p);  // plugin or libc memory
  mqsim::arena::release(p);
}
char* mqsim_strdup(const char* s) {
  const size_t n = std::strlen(s) + 1;
  auto* copy = static_cast<char*>(mqsim::arena::allocate(n));
  if (copy != nullptr) std::memcpy(copy, s, n);
  return copy;
}
size_t mqsim_malloc_usable_size(void* p) {
  if (p != nullptr && !mqsim::arena::owns(p)) return 0;
  return mqsim::arena::usable_size(p);
}

// ---- added for Mosquitto 2.1 (libcommon/, src/mosquitto.c); 2.0 never calls these ----

// libcommon's mosquitto_fopen(..., restrict_read=true) opens with open(2) + fdopen (password,
// ACL and log files; persistence's temporary file): the same sandbox as fopen.
int mqsim_open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0) {
    va_list ap;
    va_start(ap, flags);
    mode = static_cast<mode_t>(va_arg(ap, int));
    va_end(ap);
  }
  const bool writes = (flags & (O_WRONLY | O_RDWR | O_CREAT)) != 0;
  return open(host().sandbox_path(path, writes).c_str(), flags, mode);
}

// net__socket_shutdown() (SHUT_WR): the client sees end of stream, as after close.
int mqsim_shutdown(int fd, int) {
  mqsim::Connection* c = host().conn_of_fd(fd);
  if (c == nullptr) {
    errno = ENOTCONN;
    return -1;
  }
  if (!c->to_client.reset) c->to_client.fin = true;
  return 0;
}

// The broker logs "running mosquitto as user: <name>": with no user database answer it logs
// the (fake) uid instead, so the log never names this machine's users.
struct passwd* mqsim_getpwuid(uid_t) {
  errno = 0;
  return nullptr;
}
int mqsim_getpwuid_r(uid_t, struct passwd*, char*, size_t, struct passwd** result) {
  *result = nullptr;
  return 0;
}
int mqsim_getgrgid_r(gid_t, struct group*, char*, size_t, struct group** result) {
  *result = nullptr;
  return 0;
}

}  // extern "C"
