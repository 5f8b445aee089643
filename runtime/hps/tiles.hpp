// hps::layer_tiles<Layer>(): instantiates every register tile (hps/layers/conv_kernels.hpp,
// bf16_kernels.hpp) that the forward and backward passes of one layer type call, for the
// files that compile a study's tiles once for all its trainers (docs/design.md, section 27).
//
// A generated study's trainers are compiled under HPS_SHARED_TILES: the tiles are declared,
// not defined, so each call is a call to a function the study's hps_tiles library holds. That
// library is built from tiles/tiles-N.cpp, which include the runtime as the trainers do (with
// their precompiled header), then the tiles' bodies (hps/layers/conv_tiles.hpp,
// bf16_tiles.hpp), and name each distinct layer type of the study once:
//
//     template void hps::layer_tiles<hps::network<hps::shape<28, 28, 1>,
//                                    hps::conv2d<16, 5, 5, hps::same, hps::relu>>::instance<128>::layer_t<0>>();
//
// The list of tiles is not written anywhere: it is what the layer's own code instantiates
// (which tile shapes the cost model picked for the target, the tails of with_block, the
// bf16 twins where the program has them), so a trainer and its library cannot disagree. A
// layer type whose code calls the tiles says so with `static constexpr bool register_tiles`;
// for any other layer this instantiates nothing.
#pragma once

namespace hps {

template <class Layer>
void layer_tiles() {
    if constexpr (requires { requires Layer::register_tiles; }) {
        // odr-uses the passes, which instantiates them and, through them, every tile they
        // call; under HPS_SHARED_TILES those tiles are emitted (`used`), the passes not
        static_cast<void>(&Layer::forward);
        static_cast<void>(&Layer::backward);
    }
}

}  // namespace hps
