// Default sanitizer settings for every executable of a sanitizer build (MQSIM_SANITIZE or
// MQSIM_LIBFUZZER): fuzz/CMakeLists.txt compiles this file into each of them, and only then.
// The sanitizer runtimes look these hooks up by name; ASAN_OPTIONS, UBSAN_OPTIONS and
// LSAN_OPTIONS in the environment still override them.
//
// It must never hide a report silently: the leak suppression below is an artefact of how the
// simulator hosts the broker (reason next to it); undefined behaviour of Mosquitto's that people
// have looked at is listed, with its schedule, in fuzz/known-ub.supp.

extern "C" {

// abort_on_error: a report ends the process with SIGABRT rather than exit(1), so a forked run
// or worker shows up as Crashed (with the signal) instead of "child exited oddly", and
// libFuzzer saves the input either way.
const char* __asan_default_options() { return "abort_on_error=1:print_summary=1"; }

// UBSan's checks are built recoverable only so that a listed finding (fuzz/known-ub.supp) can be
// suppressed; halt_on_error makes every other report as fatal as a non-recoverable check.
#ifdef MQSIM_KNOWN_UB_FILE
const char* __ubsan_default_options() { return "print_stacktrace=1:abort_on_error=1:halt_on_error=1:suppressions=" MQSIM_KNOWN_UB_FILE; }
#else
const char* __ubsan_default_options() { return "print_stacktrace=1:abort_on_error=1:halt_on_error=1"; }
#endif

// Leaks made by the per-run reset, not by Mosquitto. Each broker start runs net__init_tls(),
// which keeps an OpenSSL UI_METHOD in a static and frees it in net__cleanup() at shutdown. The
// simulator resets the broker's globals between runs without a shutdown (sim/broker_host.cpp),
// so every in-process run after the first drops the previous run's UI_METHOD. LSan's stack for
// it usually ends inside libcrypto (built without frame pointers: malloc <- CRYPTO_zalloc), so
// the library is named too. That hides only OpenSSL allocations nothing points to any more;
// OpenSSL's own state stays reachable from its globals and is never reported anyway, and the
// simulator's plain listeners never enter Mosquitto's other OpenSSL paths (TLS). (The
// broker's own heap is the arena, which LSan does not see at all.)
const char* __lsan_default_suppressions() { return "leak:net__init_tls\nleak:libcrypto.so\n"; }

}  // extern "C"
