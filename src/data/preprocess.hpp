// Turning a picture someone drew into an image like those a model was trained on, the way each
// dataset's images were made. MNIST (LeCun et al.): a light digit on black, its bounding box
// scaled (anti-aliased) to fit 20x20 keeping the aspect ratio, then placed in 28x28 with its
// centre of mass at the centre. Fashion-MNIST (Zalando): the product photo trimmed to its
// bounding box, its longer side scaled to 28, centred by that box, intensities negated.
// Images are row-major floats in [0, 1]; rows and columns are indexed from 0 as in NumPy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nnlab {

/// A grey image: `height` rows of `width` values in [0, 1] (1 = white).
struct FloatImage {
  int height = 0, width = 0;
  std::vector<float> values;  // [height * width], row-major

  float at(int row, int col) const {
    return values[static_cast<size_t>(row) * static_cast<size_t>(width) + static_cast<size_t>(col)];
  }
};

/// Bytes scaled by 1/255, as datasets read their images.
FloatImage image_from_bytes(const uint8_t* pixels, int height, int width);

enum class Centring {
  none,  // the image must already have the model's size
  mass,  // the centre of mass (intensity-weighted) lands on pixel (H/2, W/2)
  box,   // the bounding box sits in the middle (the extra pixel, if odd, below and right)
};

/// One way of making images, a step list that preprocess() follows in order.
struct Preprocess {
  std::string name;    // as model files and `nnlab predict --preprocess` spell it
  bool level = false;  // make the background black (see level_background)
  bool crop = false;   // keep only the ink's bounding box
  int fit = 0;         // scale so the longer side is `fit` pixels (0: no scaling)
  Centring centring = Centring::none;
  std::string what;  // one line for people
};

/// "mnist", "fashion-mnist" or "none" (the image as it is); anything else throws listing them.
const Preprocess& preprocess_recipe(const std::string& name);
std::vector<std::string> preprocess_names();

/// Inverts the image when its border is light on average (black-on-white drawings), then maps
/// the border's median level to 0 and stretches the rest to [0, 1] (grey paper becomes black).
/// An image that is already light-on-black with a black border is unchanged.
FloatImage level_background(const FloatImage& image);

/// Rows [top, top + height) and columns [left, left + width).
struct Box {
  int top = 0, left = 0, height = 0, width = 0;
};
/// The smallest box holding every pixel above `threshold`; throws when there is none.
Box ink_box(const FloatImage& image, float threshold);
FloatImage crop(const FloatImage& image, const Box& box);

/// Area-averaging resize (box filter, what PIL's BOX and OpenCV's INTER_AREA do): each output
/// pixel is the mean of the input over the rectangle it covers, pixels counted by their
/// overlap. Downscaling is anti-aliased; the mean intensity is preserved.
FloatImage area_resize(const FloatImage& image, int height, int width);

/// Intensity-weighted mean (row, col) of the pixels, as scipy.ndimage.center_of_mass; the
/// image's centre when it is all black.
struct Point {
  double row = 0, col = 0;
};
Point centre_of_mass(const FloatImage& image);

/// `image` placed on a black height x width canvas with its pixel (0, 0) at (top, left);
/// what falls outside is cut off.
FloatImage place(const FloatImage& image, int height, int width, int top, int left);

/// The recipe's steps applied to `image`, giving a height x width image. Throws when the image
/// has no ink (with crop) or, without centring, is not height x width.
FloatImage preprocess(const FloatImage& image, const Preprocess& recipe, int height, int width);

}  // namespace nnlab
