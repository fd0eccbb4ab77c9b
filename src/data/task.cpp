#include "data/task.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tensor/error.hpp"

namespace nnlab {

std::string task_name(Task task) {
  switch (task) {
    case Task::classify:
      return "classify";
    case Task::regress:
      return "regress";
    case Task::reconstruct:
      return "reconstruct";
  }
  return "?";
}

std::vector<std::string> task_names() { return {"classify", "regress", "reconstruct"}; }

Task parse_task(const std::string& name) {
  for (const Task t : {Task::classify, Task::regress, Task::reconstruct})
    if (task_name(t) == name) return t;
  NNLAB_CHECK(false, "unknown task '{}'; known tasks: {}", name, fmt::join(task_names(), ", "));
  return Task::classify;
}

}  // namespace nnlab
