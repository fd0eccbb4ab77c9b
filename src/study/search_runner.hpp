// Running a run's search: its stages' configurations as trials (one per configuration, fold and
// rung) in a trial store that several processes may share, trials side by side on workers
// within the thread budget, then the best configurations refit on all training data and tested
// once (docs/output-format.md, "Search").
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "study/run_data.hpp"
#include "study/runner.hpp"

namespace nnlab {

struct SearchOutcome {
  nlohmann::json search;   // metrics.json "search"."RUN": the trials table and the choice
  nlohmann::json runs;     // the refits' results, as metrics.json "runs" entries
  bool finalized = false;  // false: another process sharing the store finalizes the search
};

/// Runs `run`'s search (run.search must be set). Trials live in DIR/search.sqlite (kept across
/// --resume; without it a new search starts from an empty store); the trials table is also
/// written as DIR/search/RUN/trials.csv.
/// `exec` (the calling thread's) runs the nested cross-validation's outer fits and the refits;
/// the workers make their own.
SearchOutcome run_search(ExecContext& exec, const Study& study, const RunSpec& run,
                         DataCache& cache, const RunOptions& options);

}  // namespace nnlab
