#include "data/catalog.hpp"

#include <curl/curl.h>
#include <fmt/ranges.h>
#include <md5.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <span>

#include "data/idx.hpp"
#include "data/multi_mnist.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

namespace fs = std::filesystem;

// The four files of an MNIST-format dataset: train images, train labels, test images, labels.
constexpr std::array<const char*, 4> kFiles = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
// MD5 of each uncompressed MNIST file (shared/data/README.md; torchvision checks the same).
constexpr std::array<const char*, 4> kMnistMd5 = {
    "6bbc9ace898e44ae57da46a324031adb", "a25bea736e30d166cdddb491f175f624",
    "2646ac647ad5339dbf082846283269ea", "27ae3e4e09519cfbb04c329615203637"};
// torchvision's mirror of LeCun's files; NNLAB_MNIST_MIRROR overrides it (a closer mirror, or a
// file:// directory for tests).
constexpr const char* kMnistUrl = "https://ossci-datasets.s3.amazonaws.com/mnist/";

struct DatasetInfo {
  std::string name;
  std::string system_dir;                // a packaged copy holding the files directly
  std::string hint;                      // how to get it
  std::vector<std::string> class_names;  // empty: the label values
  std::string preprocess;                // how its images were made (data/preprocess.hpp)
  Shape sample_shape = {1, 28, 28};      // what its images are, known before reading them
  std::string generated_from = {};       // made from this dataset, not read from files
  int64_t classes = 10;                  // its labels are 0 .. classes - 1
};

const std::vector<DatasetInfo>& catalog() {
  static const std::vector<DatasetInfo> infos = {
      {"mnist", "", "run `nnlab data fetch mnist` or pass --data-dir", {}, "mnist"},
      {"fashion-mnist",
       "/usr/share/datasets/fashion-mnist",
       "apt-get install dataset-fashion-mnist, or pass --data-dir",
       {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
        "Ankle boot"},
       "fashion-mnist"},
      // Made from MNIST with MultiMnistConfig's defaults; a study's [data.generate] picks others.
      {"multi-mnist",
       "",
       "it is generated from MNIST: run `nnlab data fetch mnist` or pass --data-dir",
       {},
       "none",
       multi_mnist_sample_shape(MultiMnistConfig{}),
       "mnist",
       kMultiMnistClasses},
  };
  return infos;
}

const DatasetInfo& lookup(const std::string& name) {
  for (const auto& info : catalog())
    if (info.name == name) return info;
  throw Error(fmt::format("unknown dataset '{}'; known datasets: {}", name,
                          fmt::join(dataset_names(), ", ")));
}

/// dir/base, else dir/base.gz, else "".
std::string find_file(const fs::path& dir, const std::string& base) {
  std::error_code ec;
  for (const auto& candidate : {dir / base, dir / (base + ".gz")})
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  return {};
}

/// Puts both halves on the same class list (a class missing from one half keeps its index).
void unify_classes(DataPair& pair) {
  if (pair.train.class_names == pair.test.class_names) return;
  std::vector<std::string> all = pair.train.class_names;
  all.insert(all.end(), pair.test.class_names.begin(), pair.test.class_names.end());
  std::sort(all.begin(), all.end(),
            [](const std::string& a, const std::string& b) { return std::stoi(a) < std::stoi(b); });
  all.erase(std::unique(all.begin(), all.end()), all.end());
  for (Dataset* d : {&pair.train, &pair.test}) {
    std::vector<int32_t> remap;
    for (const auto& n : d->class_names)
      remap.push_back(static_cast<int32_t>(std::find(all.begin(), all.end(), n) - all.begin()));
    for (int32_t& l : d->labels) l = remap[static_cast<size_t>(l)];
    d->class_names = all;
  }
}

/// Replaces the label values "0".."k-1" with the dataset's own class names.
void name_classes(Dataset& d, const DatasetInfo& info, const std::string& dir) {
  if (info.class_names.empty()) return;
  for (size_t i = 0; i < d.class_names.size(); ++i)
    NNLAB_CHECK(i < info.class_names.size() && d.class_names[i] == std::to_string(i),
                "{}: {} has label {} that is not one of {}'s {} classes", dir, d.name,
                d.class_names[i], info.name, info.class_names.size());
  d.class_names = info.class_names;
  // Labels are already 0..k-1 since the values were 0..k-1.
}

std::string md5_hex(const unsigned char* digest) {
  std::string hex;
  for (int i = 0; i < MD5_DIGEST_LENGTH; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

size_t write_to_file(char* data, size_t size, size_t count, void* file) {
  return std::fwrite(data, size, count, static_cast<std::FILE*>(file));
}

void download(const std::string& url, const fs::path& to) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::FILE* file = std::fopen(to.c_str(), "wb");
  NNLAB_CHECK(file != nullptr, "{}: cannot write: {}", to.string(), std::strerror(errno));
  CURL* curl = curl_easy_init();
  if (!curl) {
    std::fclose(file);
    throw Error("cannot start libcurl");
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_to_file);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, file);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 20L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);  // abort below 1 KiB/s ...
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 30L);     // ... for 30 s
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "nnlab");
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  const bool closed = std::fclose(file) == 0;
  if (rc != CURLE_OK || !closed) {
    std::error_code ec;
    fs::remove(to, ec);
    const std::string why = rc != CURLE_OK
                                ? (error[0] ? std::string(error) : curl_easy_strerror(rc))
                                : std::string("cannot write ") + to.string();
    throw Error(
        fmt::format("downloading {} failed: {}. Without internet access, copy the four MNIST files "
                    "(gzipped or not) into {} or pass --data-dir",
                    url, why, to.parent_path().string()));
  }
}

}  // namespace

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const auto& info : catalog()) names.push_back(info.name);
  return names;
}

Shape dataset_sample_shape(const std::string& name) { return lookup(name).sample_shape; }
int64_t dataset_classes(const std::string& name) { return lookup(name).classes; }
DataOrigin data_origin(const std::string& name) {
  // Every catalogued dataset is IDX bytes, which Dataset::read_sample scales by 1/255.
  return {.dataset = name, .scaling = "byte/255", .preprocess = lookup(name).preprocess};
}

std::vector<std::string> origin_warnings(const std::string& model, const DataOrigin& trained,
                                         const DataOrigin& used) {
  std::vector<std::string> out;
  if (!trained.dataset.empty() && trained.dataset != used.dataset)
    out.push_back(
        fmt::format("{} was trained on {}, not {}: what it makes of {} says little "
                    "about it",
                    model, trained.dataset, used.dataset, used.dataset));
  if (!trained.scaling.empty() && trained.scaling != used.scaling)
    out.push_back(fmt::format("{} was trained on inputs scaled as {}, {} is scaled as {}", model,
                              trained.scaling, used.dataset, used.scaling));
  return out;
}

std::vector<std::string> dataset_search_path(const std::string& name, const std::string& data_dir) {
  const DatasetInfo& info = lookup(name);
  if (!info.generated_from.empty()) return dataset_search_path(info.generated_from, data_dir);
  // A folder given by the user is the only place looked: data found elsewhere would be used in
  // its name without the user knowing.
  if (!data_dir.empty()) return {(fs::path(data_dir) / name).string()};
  std::vector<std::string> path;
  if (const char* env = std::getenv("NNLAB_DATA"); env && *env)
    path.push_back((fs::path(env) / name).string());
  path.push_back((fs::path(".") / "data" / name).string());
  path.push_back((fs::path("..") / "shared" / "data" / name).string());
  if (!info.system_dir.empty()) path.push_back(info.system_dir);
  return path;
}

DataPair load_dataset(const std::string& name, const std::string& data_dir) {
  const DatasetInfo& info = lookup(name);
  if (!info.generated_from.empty())
    return make_multi_mnist(load_dataset(info.generated_from, data_dir), MultiMnistConfig{});
  std::string looked;
  for (const auto& dir : dataset_search_path(name, data_dir)) {
    std::array<std::string, 4> files;
    std::vector<std::string> missing;
    for (size_t i = 0; i < kFiles.size(); ++i) {
      files[i] = find_file(dir, kFiles[i]);
      if (files[i].empty()) missing.push_back(kFiles[i]);
    }
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      looked += fmt::format("\n  {} (no such directory)", dir);
    } else if (!missing.empty()) {
      looked += fmt::format("\n  {} (missing {})", dir, fmt::join(missing, ", "));
    } else {
      // A label outside the dataset's classes is refused naming its file and sample.
      const auto classes = static_cast<int>(info.class_names.size());
      DataPair pair{read_idx_dataset(files[0], files[1], name + "/train", classes),
                    read_idx_dataset(files[2], files[3], name + "/test", classes)};
      NNLAB_CHECK(pair.train.sample_shape == pair.test.sample_shape,
                  "{}: training images are {} but test images are {}", dir,
                  shape_str(pair.train.sample_shape), shape_str(pair.test.sample_shape));
      unify_classes(pair);
      name_classes(pair.train, info, dir);
      name_classes(pair.test, info, dir);
      return pair;
    }
  }
  NNLAB_CHECK(data_dir.empty(),
              "data folder {} (--data-dir or a study's data.dir): dataset '{}' not found:{}\n"
              "The folder must hold {}/ with {} (each may be .gz); no other place is searched "
              "when a data folder is given.\nTo get it: {}",
              data_dir, name, looked, name, fmt::join(kFiles, ", "), info.hint);
  throw Error(fmt::format(
      "dataset '{}' not found. Looked in:{}\nEach place must hold {} (each may be .gz).\nTo get "
      "it: {}",
      name, looked, fmt::join(kFiles, ", "), info.hint));
}

std::string md5_hex_of_idx_file(const std::string& path) {
  MD5_CTX ctx;
  MD5Init(&ctx);
  // read_idx's own reader: gzip inflated as it arrives, trailing garbage refused, and no more
  // than the largest IDX file, however much a downloaded file inflates to.
  read_idx_content(path, [&ctx](std::span<const uint8_t> bytes) {
    MD5Update(&ctx, bytes.data(), bytes.size());
  });
  unsigned char digest[MD5_DIGEST_LENGTH];
  MD5Final(digest, &ctx);
  return md5_hex(digest);
}

void fetch_dataset(const std::string& name, const std::string& dir) {
  const DatasetInfo& info = lookup(name);
  NNLAB_CHECK(name == "mnist", "nnlab does not download {}: {}", name, info.hint);
  const fs::path target = fs::path(dir.empty() ? "data" : dir) / name;
  std::error_code ec;
  fs::create_directories(target, ec);
  NNLAB_CHECK(!ec, "{}: cannot create directory: {}", target.string(), ec.message());
  const char* mirror = std::getenv("NNLAB_MNIST_MIRROR");
  const std::string base = mirror && *mirror ? mirror : kMnistUrl;
  for (size_t i = 0; i < kFiles.size(); ++i) {
    const std::string file = std::string(kFiles[i]) + ".gz";
    const fs::path final_path = target / file;
    // Already there and intact (raw or gzipped): nothing to do.
    if (const auto have = find_file(target, kFiles[i]);
        !have.empty() && md5_hex_of_idx_file(have) == kMnistMd5[i])
      continue;
    const fs::path part = target / (file + ".part");
    download(base + file, part);
    std::string md5;
    try {
      md5 = md5_hex_of_idx_file(part.string());
    } catch (const Error& e) {
      fs::remove(part, ec);
      throw Error(fmt::format("{} (downloaded from {}; deleted)", e.what(), base + file));
    }
    if (md5 != kMnistMd5[i]) {
      fs::remove(part, ec);
      throw Error(fmt::format(
          "{}: checksum mismatch: MD5 of the uncompressed file is {}, expected {}; the download "
          "from {} was deleted",
          final_path.string(), md5, kMnistMd5[i], base + file));
    }
    fs::rename(part, final_path, ec);
    NNLAB_CHECK(!ec, "{}: cannot rename to {}: {}", part.string(), final_path.string(),
                ec.message());
  }
}

}  // namespace nnlab
