// The delaysim commands behind main(): parse arguments, dispatch to the config
// library (sim/config/run.hpp), map errors to exit codes (0 ok, 1 internal
// error, 2 bad input, 130 interrupted). Nothing escapes: every exception
// becomes a message on `err` and an exit code.
#pragma once
#include <csignal>
#include <ostream>
#include <string>
#include <vector>

namespace delaysim::cli {

// `argv` without the program name. `stop` is polled during a run (signals).
int run_cli(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err,
            const volatile std::sig_atomic_t* stop, bool err_is_terminal);

}  // namespace delaysim::cli
