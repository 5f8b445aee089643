// A small classification trainer for ranks_test.py, built twice from this file: as one
// process with batch 16 (HPS_TEST_RANKS=1, no MPI) and as each of 2 MPI ranks with batch 8
// (HPS_TEST_RANKS=2, HPS_MPI): the same training, data-parallel (hps/train/ranks.hpp). It
// uses what a rank's share of a batch touches: augmentation drawn per sample of the whole
// batch, penalties and clipping after the gradients are averaged, a test set; no dropout
// or batchnorm, whose masks and statistics are per rank.
#include "classifier_config.hpp"

#ifndef HPS_TEST_RANKS
#error "define HPS_TEST_RANKS (1 or 2)"
#endif

using net = hps::network<hps::shape<8, 8, 1>,
                         hps::conv2d<4, 3, 3, hps::same, hps::relu>,
                         hps::maxpool2d<2, 2>,
                         hps::dense<16, hps::tanh>,
                         hps::dense<3>>;

int main(int argc, char** argv) {
    hps::train_config config = classifier_config("ranks", 120, 9);
    config.clip_norm = 1.0;
    config.penalties = {{2, 0.0, 0.01}};
    config.augment.flip_horizontal = true;
    config.checkpoint_every = 0;
    config.ranks = HPS_TEST_RANKS;
    return hps::train_main<net, 16 / HPS_TEST_RANKS>(config, argc, argv);
}
