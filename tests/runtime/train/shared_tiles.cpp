// The register tiles of shared_core_trainer.cpp's and shared_tiles_trainer.cpp's layers,
// written as a generated study's tiles/tiles-N.cpp writes them (templates/tiles.cpp.in):
// each distinct layer type once, named by its network up to that layer. The conv layer is
// the two trainers' common type, so its tiles are compiled here once for both; the linked
// trainers only declare the tiles (HPS_SHARED_TILES). shared_core_test.py checks with nm.
#include <hps/layers.hpp>
#include <hps/layers/bf16_tiles.hpp>
#include <hps/layers/conv_tiles.hpp>

// hps::conv2d<4, 3, 3, hps::same, hps::relu> on 8 x 8 x 1, batch 16 (layer 0 of both)
template void hps::layer_tiles<hps::network<hps::shape<8, 8, 1>,
    hps::conv2d<4, 3, 3, hps::same, hps::relu>>::instance<16>::layer_t<0>>();

// hps::dense<16, hps::tanh> on 4 x 4 x 4, batch 16 (layer 2 of shared_core_trainer.cpp)
template void hps::layer_tiles<hps::network<hps::shape<8, 8, 1>,
    hps::conv2d<4, 3, 3, hps::same, hps::relu>,
    hps::maxpool2d<2, 2>,
    hps::dense<16, hps::tanh>>::instance<16>::layer_t<2>>();

// hps::dense<3> on 16, batch 16 (layer 4 of shared_core_trainer.cpp): its output fills no
// whole packet, so it calls no tile (hps::layer_tiles instantiates nothing)
template void hps::layer_tiles<hps::network<hps::shape<8, 8, 1>,
    hps::conv2d<4, 3, 3, hps::same, hps::relu>,
    hps::maxpool2d<2, 2>,
    hps::dense<16, hps::tanh>,
    hps::dropout<>,
    hps::dense<3>>::instance<16>::layer_t<4>>();

// hps::dense<8, hps::relu> on 4 x 4 x 4, batch 16 (layer 2 of shared_tiles_trainer.cpp)
template void hps::layer_tiles<hps::network<hps::shape<8, 8, 1>,
    hps::conv2d<4, 3, 3, hps::same, hps::relu>,
    hps::maxpool2d<2, 2>,
    hps::dense<8, hps::relu>>::instance<16>::layer_t<2>>();
