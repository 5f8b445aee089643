// Everything a generated trainer needs to declare and train a network, in one include:
// the core and network composition, every layer, activations, losses, penalties and
// optimizers. docs/runtime.md lists the layer specs and their PyTorch equivalents.
#pragma once

#include "hps/core.hpp"
#include "hps/network.hpp"

#include "hps/activations.hpp"
#include "hps/losses.hpp"
#include "hps/optimizers.hpp"
#include "hps/penalties.hpp"
#include "hps/tiles.hpp"

#include "hps/layers/avgpool2d.hpp"
#include "hps/layers/batchnorm.hpp"
#include "hps/layers/conv1d.hpp"
#include "hps/layers/conv2d.hpp"
#include "hps/layers/conv3d.hpp"
#include "hps/layers/dense.hpp"
#include "hps/layers/dropout.hpp"
#include "hps/layers/flatten.hpp"
#include "hps/layers/globalavgpool.hpp"
#include "hps/layers/gru.hpp"
#include "hps/layers/lstm.hpp"
#include "hps/layers/maxpool2d.hpp"
#include "hps/layers/pool1d.hpp"
#include "hps/layers/pool3d.hpp"
