// A second small trainer for shared_core_test.py, built only under HPS_SHARED_TRAIN and
// HPS_SHARED_TILES: its first layer is shared_core_trainer.cpp's conv layer, whose tiles it
// calls from the same library (shared_tiles.cpp), its dense layer one of its own.
#include "classifier_config.hpp"

using net = hps::network<hps::shape<8, 8, 1>,
                         hps::conv2d<4, 3, 3, hps::same, hps::relu>,
                         hps::maxpool2d<2, 2>,
                         hps::dense<8, hps::relu>,
                         hps::dense<3>>;

int main(int argc, char** argv) {
    hps::train_config config = classifier_config("shared-tiles", 60, 9);
    config.study = "shared_tiles";
    return hps::train_main<net, 16>(config, argc, argv);
}
