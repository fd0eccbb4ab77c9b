#include "data/catalog.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "data/idx.hpp"
#include "io/atomic_file.hpp"
#include "support/test_support.hpp"
#include "tensor/error.hpp"

namespace nnlab {
namespace {

using test::error_of;

namespace fs = std::filesystem;

// Sets an environment variable and the working directory for one test, then restores them.
class Scoped {
 public:
  Scoped(const char* var, const std::string& value, const fs::path& cwd)
      : var_(var), cwd_(fs::current_path()) {
    if (const char* old = std::getenv(var)) old_ = old;
    setenv(var, value.c_str(), 1);
    fs::current_path(cwd);
  }
  ~Scoped() {
    fs::current_path(cwd_);
    if (old_) {
      setenv(var_, old_->c_str(), 1);
    } else {
      unsetenv(var_);
    }
  }

 private:
  const char* var_;
  fs::path cwd_;
  std::optional<std::string> old_;
};

TEST(Catalog, NamesAndUnknownName) {
  EXPECT_EQ(dataset_names(), (std::vector<std::string>{"mnist", "fashion-mnist", "multi-mnist"}));
  const auto msg = error_of([] { load_dataset("cifar", ""); });
  EXPECT_NE(msg.find("cifar"), std::string::npos) << msg;
  EXPECT_NE(msg.find("mnist, fashion-mnist"), std::string::npos) << msg;
}

TEST(Catalog, SearchPathOrder) {
  const auto dir = test::temp_dir();
  Scoped env("NNLAB_DATA", (dir / "env").string(), dir);
  EXPECT_EQ(dataset_search_path("mnist", "/given"), (std::vector<std::string>{"/given/mnist"}));
  const auto path = dataset_search_path("mnist", "");
  EXPECT_EQ(path, (std::vector<std::string>{(dir / "env" / "mnist").string(), "./data/mnist",
                                            "../shared/data/mnist"}));
  const auto fashion = dataset_search_path("fashion-mnist", "");
  ASSERT_EQ(fashion.size(), 4u);
  EXPECT_EQ(fashion.back(), "/usr/share/datasets/fashion-mnist");
}

TEST(Catalog, NotFoundListsEveryPlaceAndHowToGetIt) {
  const auto dir = test::temp_dir();
  fs::create_directories(dir / "given" / "mnist");
  std::ofstream(dir / "given" / "mnist" / "train-images-idx3-ubyte.gz") << "x";
  Scoped env("NNLAB_DATA", (dir / "env").string(), dir);
  const auto msg = error_of([&] { load_dataset("mnist", (dir / "given").string()); });
  for (const auto& place : dataset_search_path("mnist", (dir / "given").string()))
    EXPECT_NE(msg.find(place), std::string::npos) << place << " not in: " << msg;
  EXPECT_NE(msg.find("missing train-labels-idx1-ubyte"), std::string::npos) << msg;
  EXPECT_NE(msg.find("run `nnlab data fetch mnist` or pass --data-dir"), std::string::npos) << msg;
}

TEST(Catalog, AGivenDataDirWithoutTheDataIsAnErrorNotAFallback) {
  // The data is found through $NNLAB_DATA, but the folder given is the one asked for.
  const auto dir = test::temp_dir();
  fs::create_directories(dir / "given" / "mnist");
  std::ofstream(dir / "given" / "mnist" / "train-images-idx3-ubyte.gz") << "x";
  Scoped env("NNLAB_DATA", fs::absolute(test::shared_data_dir()).string(), dir);
  const std::string given = (dir / "given").string();
  const auto msg = error_of([&] { load_dataset("mnist", given); });
  EXPECT_NE(msg.find("data folder " + given + " (--data-dir"), std::string::npos) << msg;
  EXPECT_NE(msg.find(given + "/mnist (missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                             "t10k-labels-idx1-ubyte)"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find(test::shared_data_dir().string()), std::string::npos) << msg;
  const auto none = error_of([&] { load_dataset("multi-mnist", (dir / "none").string()); });
  EXPECT_NE(none.find((dir / "none" / "mnist").string() + " (no such directory)"),
            std::string::npos)
      << none;
}

TEST(Catalog, FindsDataThroughTheEnvironment) {
  const auto dir = test::temp_dir();
  Scoped env("NNLAB_DATA", fs::absolute(test::shared_data_dir()).string(), dir);
  const DataPair pair = load_dataset("mnist", "");
  EXPECT_EQ(pair.test.size(), 10000);
}

TEST(Catalog, Md5OfIdxFileIsOfTheUncompressedContent) {
  const auto dir = test::temp_dir();
  std::ofstream(dir / "abc") << "abc";
  EXPECT_EQ(md5_hex_of_idx_file((dir / "abc").string()), "900150983cd24fb0d6963f7d28e17f72");
  std::ofstream(dir / "empty").flush();
  EXPECT_EQ(md5_hex_of_idx_file((dir / "empty").string()), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_NE(error_of([&] { md5_hex_of_idx_file((dir / "none").string()); }).find("none"),
            std::string::npos);
}

// md5_hex_of_idx_file reads as read_idx does, not as gzread would: bytes after the gzip data are
// refused, and so is more data than the largest IDX file, however well it compresses.
TEST(Catalog, Md5OfIdxFileRefusesWhatReadIdxRefuses) {
  const auto dir = test::temp_dir();
  const std::string small = (dir / "small.idx.gz").string();
  write_idx(small, {.type = 0x08, .dims = {3}, .data = {1, 2, 3}});
  std::ofstream(small, std::ios::app | std::ios::binary) << "junk";
  std::string msg = error_of([&] { md5_hex_of_idx_file(small); });
  EXPECT_NE(msg.find(small + ": trailing garbage"), std::string::npos) << msg;

  // 33 gzip members of 2^26 zero bytes each (66 KB apiece): 2.1 GB once inflated, past the 2^31
  // data bytes of the largest IDX file.
  const std::string member = (dir / "member.idx.gz").string();
  write_idx(
      member,
      {.type = 0x08, .dims = {int64_t{1} << 26}, .data = std::vector<uint8_t>(size_t{1} << 26)});
  const std::string bytes = read_file(member);
  const std::string bomb = (dir / "bomb.idx.gz").string();
  {
    std::ofstream out(bomb, std::ios::binary);
    for (int i = 0; i < 33; ++i) out << bytes;
  }
  msg = error_of([&] { md5_hex_of_idx_file(bomb); });
  EXPECT_NE(msg.find(bomb + ": inflates to more than"), std::string::npos) << msg;
}

TEST(Catalog, FetchWithoutNetworkSaysWhatFailed) {
  const auto dir = test::temp_dir();
  // Port 9 on the loopback: connection refused at once, like a machine without internet.
  Scoped env("NNLAB_MNIST_MIRROR", "http://127.0.0.1:9/", dir);
  const auto msg = error_of([&] { fetch_dataset("mnist", (dir / "out").string()); });
  EXPECT_NE(msg.find("downloading http://127.0.0.1:9/train-images-idx3-ubyte.gz failed"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("--data-dir"), std::string::npos) << msg;
  EXPECT_TRUE(fs::is_empty(dir / "out" / "mnist"));  // no partial download left behind
}

TEST(Catalog, FetchFromAMirrorVerifiesChecksums) {
  const auto dir = test::temp_dir();
  fs::copy(test::shared_data_dir() / "mnist", dir / "mirror");
  Scoped env("NNLAB_MNIST_MIRROR", "file://" + fs::absolute(dir / "mirror").string() + "/", dir);
  fetch_dataset("mnist", (dir / "out").string());
  EXPECT_EQ(md5_hex_of_idx_file((dir / "out" / "mnist" / "t10k-labels-idx1-ubyte.gz").string()),
            "27ae3e4e09519cfbb04c329615203637");
  EXPECT_EQ(load_dataset("mnist", (dir / "out").string()).train.size(), 60000);

  // A corrupted mirror: the download is deleted and the error says why.
  std::ofstream(dir / "mirror" / "train-images-idx3-ubyte.gz", std::ios::trunc) << "not mnist";
  const auto msg = error_of([&] { fetch_dataset("mnist", (dir / "bad").string()); });
  EXPECT_NE(msg.find("checksum mismatch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("6bbc9ace898e44ae57da46a324031adb"), std::string::npos) << msg;
  EXPECT_TRUE(fs::is_empty(dir / "bad" / "mnist"));
}

TEST(Catalog, FashionMnistIsNotFetched) {
  const auto msg = error_of([] { fetch_dataset("fashion-mnist", "x"); });
  EXPECT_NE(msg.find("apt-get install dataset-fashion-mnist"), std::string::npos) << msg;
}

}  // namespace
}  // namespace nnlab
