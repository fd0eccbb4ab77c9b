// Crash points: named moments of a run (a checkpoint written, a phase done) at which a test can
// have the process killed, to prove that `--resume` from any of them ends byte-identical to an
// uninterrupted run. Set NNLAB_CRASH_AT=NAME (e.g. "checkpoint.2", "refit_done") and the
// process sends itself SIGKILL when it reaches NAME; unset, a crash point does nothing. Only
// the environment is read: no state is kept.
#pragma once

#include <string_view>

namespace nnlab {

void crash_point(std::string_view name);

}  // namespace nnlab
