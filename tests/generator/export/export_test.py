#!/usr/bin/env python3
"""hpsgen export end to end, on a small study of its own (conv1d, batchnorm, gru over every
step, lstm's last step, dense layers with tanh, elu and softplus, dropout; an input scale and
`normalize inputs`; two points that differ only in the dropout rate, so one trainer is
built); its training data is HDF5. (The examples' networks are exported by their own tests,
tests/examples/, through tests/support/export_checks.py, which this test shares.)
Its batchnorms fold both ways: the first into the linear conv1d before it, the second
(after a tanh) into the dense layer after it, across the dropout.

Checks, each an assertion that can fail:
  - the study's CMakeLists.txt links HDF5 (its training data is an HDF5 file's datasets) and
    its trainer trains on them;
  - export of a study with nothing trained fails with exit 1 and says to train it;
  - export picks the study's best point by its selection rule (result.json's best values);
  - the exported network has no dropout and no batchnorm (folded), no training code (no optimizer, loss, data);
  - its example builds in a fresh CMake project through find_package(NAME) with -DNAME_DIR;
  - predict and predict_batch allocate nothing after a thread's first call, and 4 threads
    calling at once get one thread's outputs (alloc_threads.cpp);
  - the run's normalization.npz holds numpy's per-feature mean and std of the scaled
    training inputs;
  - on the raw validation inputs it reproduces PyTorch's outputs (model.py's load(), which
    normalizes, + best.npz on the scaled inputs) within 1e-5 relative, and the trainer's own
    evaluation: the validation loss and accuracy of result.json at the best step;
  - --weights npz: the library reads weights.npz instead, with the same predictions;
  - --format onnx writes a model that onnx's checker accepts and OpenCV's dnn module runs,
    reproducing the outputs;
  - --point exports the point named; --name names the package.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from script_checks import run, check  # noqa: E402 (tests/support)
from export_checks import O1, build_example, check_onnx, close  # noqa: E402

SPEC = """study exptest "hpsgen export test study"

data {
  train "data/data.h5:/train/x,/train/y"
  validation "data/validation.npz"
  input 6 x 4
  target classes 3
  scale 0.5
  normalize inputs
}

network {
  conv1d filters 5 kernel 3 padding same activation linear
  batchnorm
  gru units 4 return_sequences true
  lstm units 5
  dense units 8 activation tanh
  batchnorm
  dropout {0.1, 0.3}
  dense units 6 activation elu
  dense units 6 activation softplus
  dense units 3
}

train {
  optimizer adam lr 0.02
  loss softmax_ce
  batch 16
  steps 80
  checkpoints 4
  seed 3
}

metrics {
  accuracy
  select max accuracy
}
"""


def make_data(n, seed):
    """Sequences of 6 steps x 4 channels, raw values around 2 (the spec's scale halves
    them); the class is the channel with the largest sum over the first 3 steps (mod 3)."""
    rng = np.random.default_rng(seed)
    x = (2 + rng.normal(0, 1.0, size=(n, 6, 4))).astype(np.float32)
    y = (np.argmax(x[:, :3, :].sum(axis=1), axis=1) % 3).astype(np.int64)
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hpsgen", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    hpsgen, work = os.path.abspath(a.hpsgen), a.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "data"))
    x, y = make_data(320, 1)
    xv, yv = make_data(96, 2)
    import h5py
    with h5py.File(os.path.join(work, "data/data.h5"), "w") as f:
        f["train/x"], f["train/y"] = x, y
    np.savez(os.path.join(work, "data/validation.npz"), x=xv, y=yv)
    with open(os.path.join(work, "exptest.hps"), "w") as f:
        f.write(SPEC)

    r = run([hpsgen, "generate", "exptest.hps", "-o", "study"], cwd=work)
    check(r.returncode == 0, "generate: " + r.stdout + r.stderr)
    study = os.path.join(work, "study")
    with open(os.path.join(study, "CMakeLists.txt")) as f:
        check("find_package(HDF5 REQUIRED COMPONENTS C)" in f.read(), "the study links HDF5: its data is HDF5")
    r = run([hpsgen, "export", study, "-o", os.path.join(work, "none")])
    check(r.returncode == 1 and "no finished point" in r.stderr and "hpsgen run" in r.stderr,
          "export before training: exit 1, says to train: " + r.stderr)

    # -O1: behaviour is tested, not speed (as tests/examples/e2e_test.py's quick_build)
    r = run(["cmake", "-S", study, "-B", os.path.join(study, "build")] + O1)
    check(r.returncode == 0, "configure the study: " + r.stderr[-500:])
    r = run([hpsgen, "run", study], timeout=600)
    check(r.returncode == 0, "run trains both points: " + r.stdout[-1000:] + r.stderr[-1000:])

    results = {}
    for point in ("model-0", "model-1"):
        with open(os.path.join(study, "runs", point, "result.json")) as f:
            results[point] = json.load(f)
    best_point = max(results, key=lambda p: results[p]["best"]["accuracy"])  # max() keeps the first of equals

    out = os.path.join(work, "exported")
    r = run([hpsgen, "export", study, "-o", out])
    check(r.returncode == 0, "export the best point: " + r.stdout + r.stderr)
    check(("exported " + best_point + " ") in r.stdout, "it is the best by accuracy, " + best_point + ": " + r.stdout)
    name = "exptest_" + best_point.replace("-", "_")
    model_hpp = open(os.path.join(out, "include", name, "model.hpp")).read()
    network = model_hpp.split("using network =")[1].split(";")[0]
    kinds = [layer.strip().split("<")[0] for layer in network.split(",\n")[1:]]
    check(kinds == ["hps::conv1d", "hps::gru", "hps::lstm"] + ["hps::dense"] * 4,
          "the network: conv1d, gru, lstm, 4 dense (dropout removed, batchnorms folded): " + network)
    headers = os.listdir(os.path.join(out, "include", "hps"))
    check(not {"optimizers.hpp", "losses.hpp", "train.hpp", "dataset.hpp", "npz.hpp"} & set(headers),
          "no training code, loss, optimizer or data loading among the headers: " + ", ".join(sorted(headers)))

    # a fresh project, elsewhere, that finds the package: the example, and a check that
    # predict allocates nothing after a thread's first call and is thread-safe
    alloc_threads = os.path.join(os.path.dirname(os.path.abspath(__file__)), "alloc_threads.cpp")
    build = build_example(out, name, os.path.join(work, "fresh"),
                          "find_package(Threads REQUIRED)\nadd_executable(alloc_threads %s)\n"
                          "target_compile_definitions(alloc_threads PRIVATE EXPORTED_MODEL_HPP=\"%s/model.hpp\" EXPORTED_NS=%s "
                          "EIGEN_RUNTIME_NO_MALLOC)\ntarget_compile_options(alloc_threads PRIVATE -UNDEBUG)\n"
                          "target_link_libraries(alloc_threads PRIVATE %s::%s Threads::Threads)\n"
                          % (alloc_threads, name, name, name, name))
    r = run([os.path.join(build, "alloc_threads")])
    check(r.returncode == 0, "predict allocates nothing after a thread's first call; threads agree: " + r.stdout + r.stderr)
    predict = os.path.join(build, "predict")
    xv_path, pred_path = os.path.join(work, "xv.npy"), os.path.join(work, "pred.npy")
    np.save(xv_path, xv)
    r = run([predict, xv_path, pred_path])
    check(r.returncode == 0, "the example predicts: " + r.stderr)
    ours = np.load(pred_path)
    check(ours.shape == (96, 3) and ours.dtype == np.float32, "predictions (96, 3) float32: %s" % (ours.shape,))

    # normalization.npz: the scaled training inputs' per-feature statistics (no split here)
    run_dir = os.path.join(study, "runs", best_point)
    with np.load(os.path.join(run_dir, "normalization.npz")) as f:
        xs = (x * np.float32(0.5)).astype(np.float64)
        check(sorted(f.files) == ["input_mean", "input_std"] and f["input_mean"].shape == (6, 4)
              and np.allclose(f["input_mean"], xs.mean(axis=0), rtol=1e-6, atol=0)
              and np.allclose(f["input_std"], xs.std(axis=0), rtol=1e-6, atol=0),
              "normalization.npz: numpy's mean and std of the scaled training inputs")

    # PyTorch: model.py + best.npz on the scaled inputs, channels first
    import torch
    sys.path.insert(0, run_dir)
    import model as torch_model
    net = torch_model.load(os.path.join(run_dir, "best.npz"))
    with torch.no_grad():
        theirs = net(torch.from_numpy(xv * np.float32(0.5)).permute(0, 2, 1)).numpy()
    ok, how = close(ours, theirs)
    check(ok, "PyTorch's outputs within 1e-5 relative: " + how)

    # the trainer's own evaluation at the best step: loss (softmax cross-entropy) and accuracy
    z = ours.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    loss = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(yv)), yv]))
    best = results[best_point]["best"]
    check(abs(loss - best["loss"]) <= 1e-5 * abs(best["loss"]),
          "the trainer's validation loss within 1e-5 relative: %.8g vs %.8g" % (loss, best["loss"]))
    acc = float(np.mean(np.argmax(ours, axis=1) == yv))
    check(abs(acc - best["accuracy"]) < 1e-9, "the trainer's validation accuracy: %g vs %g" % (acc, best["accuracy"]))

    # one sample, through predict(): the same as the batch's first row
    np.save(xv_path, xv[0])
    r = run([predict, xv_path, pred_path])
    check(r.returncode == 0 and close(np.load(pred_path)[0], ours[0])[0], "one sample (predictor<1>): the batch's first row")

    # --weights npz: the same library reading OUT/weights.npz when its predictor is built
    out_npz = os.path.join(work, "exported_npz")
    r = run([hpsgen, "export", study, "--weights", "npz", "-o", out_npz])
    check(r.returncode == 0 and os.path.exists(os.path.join(out_npz, "weights.npz"))
          and not os.path.exists(os.path.join(out_npz, "include", name, "weights.hpp")),
          "export --weights npz writes weights.npz, no weights.hpp: " + r.stdout + r.stderr)
    r = run(["cmake", "-S", os.path.join(out_npz, "example"), "-B", os.path.join(out_npz, "build")] + O1)
    r = r if r.returncode else run(["cmake", "--build", os.path.join(out_npz, "build")], timeout=300)
    check(r.returncode == 0, "its example builds: " + r.stdout[-1500:] + r.stderr[-1500:])
    np.save(xv_path, xv)
    r = run([os.path.join(out_npz, "build", "predict"), xv_path, pred_path])
    check(r.returncode == 0 and close(np.load(pred_path), ours)[0], "and predicts as the embedded weights: " + r.stderr)
    os.rename(os.path.join(out_npz, "weights.npz"), os.path.join(out_npz, "moved.npz"))
    r = run([os.path.join(out_npz, "build", "predict"), xv_path, pred_path])
    check(r.returncode == 1 and "cannot read the weights file" in r.stderr, "without its weights file: says so: " + r.stderr)

    # ONNX: the checker, and OpenCV's dnn module reproducing the outputs on the flat raw inputs
    # (a fixed batch: OpenCV 4.6 runs lstm and gru only with one)
    m = check_onnx(hpsgen, study, best_point, os.path.join(work, "onnx"), name, xv, theirs, batch=len(xv))
    ops = [n.op_type for n in m.graph.node if n.op_type not in ("Reshape", "Transpose", "Slice")]
    check(ops == ["Mul", "Sub", "Div", "Conv", "GRU", "LSTM", "Gemm", "Tanh", "Gemm", "Elu", "Gemm", "Softplus", "Gemm",
                  "Identity"],
          "the graph: scale, normalization, conv1d (batchnorm folded), gru, lstm, dense tanh, elu, softplus, dense: " +
          ", ".join(ops))

    # --point and --name
    other = "model-1" if best_point == "model-0" else "model-0"
    r = run([hpsgen, "export", study, "--point", other, "--name", "other", "-o", os.path.join(work, "other")])
    check(r.returncode == 0 and ("exported " + other + " ") in r.stdout
          and os.path.exists(os.path.join(work, "other", "otherConfig.cmake")),
          "--point " + other + " --name other: " + r.stdout + r.stderr)
    r = run([hpsgen, "export", study, "--point", "model-7", "-o", os.path.join(work, "bad")])
    check(r.returncode == 1 and "model-7" in r.stderr, "--point of no point: exit 1: " + r.stderr)
    print("all checks passed")


if __name__ == "__main__":
    main()
