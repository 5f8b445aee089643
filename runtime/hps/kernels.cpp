// The GEMM kernels every dense layer shares (hps::detail::gemm: Eigen's packed float
// product, in the three transpositions the layers use), compiled once per study folder
// instead of once per trainer. A generated study's CMakeLists.txt builds this file into
// hps_kernels, with the trainers' own flags, and defines HPS_SHARED_KERNELS for them, so
// their headers only declare these instantiations (hps/layers/common.hpp).
#define HPS_INSTANTIATE_KERNELS
#include "hps/layers/common.hpp"
