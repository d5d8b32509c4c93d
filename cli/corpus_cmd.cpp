// `mqsim corpus`: runs Mosquitto's packet-sequence corpus in the simulator or against a real
// broker and reports per file, per failing case, and (for comparing brokers or versions) per case
// as JSON; compares two such lists. See corpus_cmd.h.
//
// It must never decide a verdict itself: corpus/corpus.h does; this file only finds the corpus,
// prints and writes.
#include "cli/corpus_cmd.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "cli/commands.h"
#include "cli/daemon_cmd.h"
#include "trace/trace.h"
#include "corpus/corpus.h"

namespace mqsim::cli {
namespace {

// How many failing cases get their whole trace printed (the rest: their reason only).
constexpr int kTracesShown = 3;

// --corpus, else $MQSIM_CORPUS_DIR, else the tree this program was built from (when the build
// tells it), else nothing.
std::string corpus_dir(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* env = std::getenv("MQSIM_CORPUS_DIR"); env != nullptr && *env != '\0') return env;
#ifdef MQSIM_CORPUS_DEFAULT_DIR
  return MQSIM_CORPUS_DEFAULT_DIR;
#else
  return "";
#endif
}

void print_failures(const corpus::CorpusResult& result) {
  int traces_left = kTracesShown;
  for (const corpus::Verdict& v : result.verdicts) {
    if (v.result.passed) continue;
    std::printf("FAIL %s: %s %s\n     %s\n", v.file.c_str(), v.group.c_str(), v.name.c_str(), v.result.reason.c_str());
    if (traces_left-- > 0 && !v.result.trace_wire.empty()) {
      std::printf("     trace:\n%s\n", Trace::parse(v.result.trace_wire).text().c_str());
    }
  }
}

bool write_json(const std::string& path, const corpus::CorpusResult& result) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << corpus::verdicts_json(result);
  out.close();
  if (!out) std::fprintf(stderr, "mqsim corpus: --json: cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

}  // namespace

int run_corpus(const CorpusArgs& args) {
  const std::string where = corpus_dir(args.dir);
  if (where.empty()) {
    std::fprintf(stderr, "mqsim corpus: no corpus directory: pass --corpus DIR (a Mosquitto tree's test/broker/data)\n");
    return kExitUsage;
  }
  corpus::RunOptions options;
  options.filter = args.filter;
  options.shared_broker = args.shared;
  options.jobs = args.jobs;
  if (!args.target.empty()) {
    std::string error;
    options.tcp = parse_target(args.target, &error);
    if (!options.tcp) {
      std::fprintf(stderr, "mqsim corpus: %s\n", error.c_str());
      return kExitUsage;
    }
  }
  std::vector<corpus::Case> cases;
  try {
    cases = corpus::load_dir(where);
  } catch (const corpus::CorpusError& e) {
    std::fprintf(stderr, "mqsim corpus: %s\n", e.what());
    return kExitUsage;
  }
  const corpus::CorpusResult result = corpus::run_corpus(cases, options);
  if (result.verdicts.empty()) {
    std::fprintf(stderr, "mqsim corpus: no case of %s matches --filter \"%s\"\n", where.c_str(), args.filter.c_str());
    return kExitUsage;
  }
  const std::string how = options.tcp ? "on " + args.target + " over loopback TCP, all on one broker in order"
                        : args.shared ? std::string("in the simulator, all on one broker in order")
                                      : std::string("in the simulator, each on a fresh broker");
  // load_dir reads a whole corpus in one format (cases is not empty: a case was selected).
  const char* format = corpus::format_name(cases.front().format);
  std::printf("mqsim corpus: %zu of %zu cases from %s (%s format), %s\n", result.verdicts.size(), cases.size(), where.c_str(), format, how.c_str());
  std::printf("%s", corpus::tally_text(result).c_str());
  if (result.worker_restarts > 0) std::printf("(the broker was started again %llu times)\n", static_cast<unsigned long long>(result.worker_restarts));
  print_failures(result);
  if (!args.json_out.empty() && !write_json(args.json_out, result)) return kExitUsage;
  return result.failed == 0 ? kExitOk : kExitFound;
}

int run_corpus_compare(const std::string& a_path, const std::string& b_path, bool show_reasons) {
  std::vector<corpus::Verdict> a, b;
  try {
    a = corpus::read_verdicts_json(a_path);
    b = corpus::read_verdicts_json(b_path);
  } catch (const corpus::CorpusError& e) {
    std::fprintf(stderr, "mqsim corpus --compare: %s\n", e.what());
    return kExitUsage;
  }
  const corpus::Comparison c = corpus::compare_verdicts(a, b);
  std::printf("mqsim corpus --compare: A = %s (%zu cases), B = %s (%zu cases)\n", a_path.c_str(), a.size(), b_path.c_str(), b.size());
  std::printf("%s", corpus::comparison_text(c, "A", "B", show_reasons).c_str());
  return c.same_verdicts() ? kExitOk : kExitFound;
}

}  // namespace mqsim::cli
