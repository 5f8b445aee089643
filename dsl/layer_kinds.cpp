// The registry of layer kinds: one line per kind, in the order `hpsgen check --reference`
// lists them. Each descriptor lives in dsl/layers/.
#include "dsl/layer_kind.hpp"

namespace hps {

extern const layer_kind conv2d_kind, maxpool_kind, dense_kind, dropout_kind, flatten_kind, conv1d_kind, maxpool1d_kind,
    avgpool_kind, globalavgpool_kind, lstm_kind, gru_kind, conv3d_kind, maxpool3d_kind, avgpool3d_kind, batchnorm_kind;

const std::vector<const layer_kind*>& layer_kinds() {
    static const std::vector<const layer_kind*> kinds = {
        &conv2d_kind, &maxpool_kind,      &dense_kind,  &dropout_kind,   &flatten_kind,   &conv1d_kind,   &maxpool1d_kind,
        &avgpool_kind, &globalavgpool_kind, &lstm_kind, &gru_kind, &conv3d_kind, &maxpool3d_kind, &avgpool3d_kind, &batchnorm_kind,
    };
    return kinds;
}

}  // namespace hps
