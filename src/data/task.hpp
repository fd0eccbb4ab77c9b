// What a run learns, declared by the study (`task`): it decides what a batch's target is, which
// losses fit, and what evaluation measures.
//
//   classify     target: the sample's class label; scored by loss and accuracy
//   regress      target: the sample's target values (data.csv.targets); scored by loss and MSE
//   reconstruct  target: the clean input itself (an autoencoder; the input may be corrupted);
//                scored by loss and MSE against the clean input
#pragma once

#include <string>
#include <vector>

namespace nnlab {

enum class Task { classify, regress, reconstruct };

/// "classify", "regress", "reconstruct".
std::string task_name(Task task);
/// The inverse of task_name; an unknown name throws with the list of known ones.
Task parse_task(const std::string& name);
std::vector<std::string> task_names();

}  // namespace nnlab
