// Failure artifacts: see artifacts.h.
#include "artifacts.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "report/pcap.h"
#include "report/sequence_html.h"

namespace mqsim::cli {
namespace {

namespace fs = std::filesystem;

bool write_file_synced(const fs::path& path, const std::string& content, std::string* error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    if (error) *error = "cannot write " + path.string() + ": " + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool ok = done == content.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok && error) *error = "short write to " + path.string();
  return ok;
}

void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::string verdict_text(const FailureReport& r) {
  std::string out = r.headline + "\n\n";
  if (r.violation) {
    out += "statement: [" + r.violation->statement + "]\n";
    out += "event:     " + std::to_string(r.violation->event_index) + "\n";
    out += "expected:  " + r.violation->expected + "\n";
    out += "seen:      " + r.violation->seen + "\n";
    if (r.violation->event_index < r.result.trace.events().size()) {
      out += "at:        " + r.result.trace.line(r.result.trace.events()[r.violation->event_index]) + "\n";
    }
  } else {
    out += "outcome:   " + std::string(outcome_name(r.result.outcome)) + " — " + r.result.detail + "\n";
  }
  if (r.seed) out += "seed:      " + std::to_string(*r.seed) + "\n";
  out += "swarm:     " + r.schedule.swarm + "\n";
  out += "trace:     " + hex64(r.result.trace.hash()) + "\n";
  out += "reproduce: " + r.reproduce + "\n\nschedule:\n" + schedule_text(r.schedule);
  return out;
}

bool write_failure_dir(const std::string& dir, const FailureReport& r, std::string* error) {
  std::error_code ec;
  const fs::path final_dir(dir);
  const fs::path tmp = final_dir.parent_path() / (".tmp-" + final_dir.filename().string() + "-" + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp, ec) && ec) {
    if (error) *error = "cannot create " + tmp.string() + ": " + ec.message();
    return false;
  }
  const Trace& t = r.result.trace;
  bool ok = write_file_synced(tmp / "schedule.json", to_json(r.schedule), error) &&
            write_file_synced(tmp / "trace.txt", t.text(), error) &&
            write_file_synced(tmp / "trace.hash", hex64(t.hash()) + "\n", error) &&
            write_file_synced(tmp / "verdict.txt", verdict_text(r), error);
  if (ok) ok = write_pcap(t, (tmp / "trace.pcap").string(), error);
  if (ok) {
    SequenceOptions so;
    so.title = r.headline;
    so.verdict = r.violation ? r.violation->text() : r.result.detail;
    so.details = "reproduce: " + r.reproduce;
    if (r.violation) {
      so.highlight_event = r.violation->event_index;
      so.highlight_text = "expected " + r.violation->expected + "; seen " + r.violation->seen;
    }
    ok = write_file_synced(tmp / "sequence.html", sequence_html(t, so), error);
  }
  if (!ok) {
    fs::remove_all(tmp, ec);
    return false;
  }
  sync_dir(tmp);
  fs::remove_all(final_dir, ec);
  fs::rename(tmp, final_dir, ec);
  if (ec) {
    if (error) *error = "cannot rename " + tmp.string() + " to " + final_dir.string() + ": " + ec.message();
    return false;
  }
  sync_dir(final_dir.parent_path());
  return true;
}

}  // namespace mqsim::cli
