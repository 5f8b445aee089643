"""benchmarks.compare_torch: how compare_torch.py reads hps_bench's rows and counts FLOPs.

    compare_torch_test.py BENCHMARKS_DIR
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, sys.argv[1])
from script_checks import check  # noqa: E402
import compare_torch  # noqa: E402


def close(got, want):
    return all(abs(got[k] - want[k]) <= 1e-12 for k in want) and set(got) == set(want)


def row(name, real_ms, cpu_ms, **extra):
    return dict(name=name, real_time=real_ms, cpu_time=cpu_ms, time_unit="ms", **extra)


# ---- rows: the bf16 step is not the fp32 step, whatever the order (hps_bench lists the
# fp32 step first, then bf16, so a reader keyed by model alone kept bf16's time)
rows = [row("peak/fma/real_time", 0.0271, 0.0270, **{"GFLOP/s": 115.9}),
        row("train/model-108/iterations:20/process_time/real_time", 33.3, 32.8),
        row("train/model-108/bf16/iterations:20/process_time/real_time", 20.4, 20.0),
        row("train/model-189/process_time/real_time", 110.0, 107.0),  # without --steps
        row("peak/clock", 1.2, 1.15, GHz=3.64)]
out = compare_torch.parse_hps_bench({"benchmarks": rows})
check(close(out["models"]["108"], {"wall": 33.3e-3, "cpu": 32.8e-3}), "Model-108's fp32 step is train/model-108's row")
check(close(out["bf16"]["108"], {"wall": 20.4e-3, "cpu": 20.0e-3}), "Model-108's bf16 step is train/model-108/bf16's row")
check(close(out["models"]["189"], {"wall": 110.0e-3, "cpu": 107.0e-3}) and "189" not in out["bf16"], "a row without iterations: is fp32")
out = compare_torch.parse_hps_bench({"benchmarks": [rows[2], rows[1]]})
check(close(out["models"]["108"], {"wall": 33.3e-3, "cpu": 32.8e-3}) and
      close(out["bf16"]["108"], {"wall": 20.4e-3, "cpu": 20.0e-3}), "either order")
out = compare_torch.parse_hps_bench({"benchmarks": rows})
check(out["peak"]["wall"] == 115.9 and abs(out["peak"]["cpu"] - 115.9 * 0.0271 / 0.0270) < 1e-9,
      "the FMA peak per CPU second: its wall-clock rate (UseRealTime) times real / CPU time")
check(out["clock_ghz"] == 3.64, "the core clock is peak/clock's, not read as the FMA peak")

for bad, what in [([rows[1], rows[1]], "measured twice"),
                  ([row("train/model-108/fp8/iterations:20/process_time/real_time", 1, 1)], "unknown variant")]:
    try:
        compare_torch.parse_hps_bench({"benchmarks": bad})
        check(False, f"refused: {what}")
    except ValueError as e:
        check(what in str(e), f"refused: {what} ({e})")

# ---- the FLOP count: every product of a training step, counted from PyTorch's modules and
# the shapes they produce (forward 2 * output elements * fan-in per conv and linear layer;
# dW the same; dx the same except for the first layer, whose input needs no gradient)
import torch  # noqa: E402
from torch import nn  # noqa: E402

for name, (w1, n1, w2, n2, nfc) in compare_torch.MODELS.items():
    net = nn.Sequential(nn.Conv2d(1, n1, w1, padding=w1 // 2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(n1, n2, w2, padding=w2 // 2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(7 * 7 * n2, nfc), nn.ReLU(), nn.Dropout(0.25), nn.Linear(nfc, 2))
    counted = []

    def hook(module, inputs, output):
        fan_in = module.weight[0].numel()  # C*k*k for a conv, In for a linear layer
        counted.append(2.0 * output[0].numel() * fan_in)  # one sample

    for m in net:
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(hook)
    net(torch.zeros(1, 1, 28, 28))
    total = sum(3 * f for f in counted) - counted[0]  # no dx for the first layer
    check(abs(compare_torch.flops_per_sample(w1, n1, w2, n2, nfc) - total) < 1e-6 * total,
          f"model-{name}: {compare_torch.flops_per_sample(w1, n1, w2, n2, nfc) / 1e6:.3f} MFLOP per sample, "
          f"as counted from the layers ({total / 1e6:.3f})")

# ---- the PyTorch side with --torch-bf16: a step under autocast(bfloat16) timed beside fp32's
# (one step each, in this process: its output is the JSON the parent reads)
import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402

buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    compare_torch.torch_worker(1, 1, ["040"], True)
got = json.loads(buf.getvalue())["models"]["040"]
check(got["wall"] > 0 and got["cpu"] > 0 and got["bf16"]["wall"] > 0 and got["bf16"]["cpu"] > 0,
      f"--torch-bf16: the fp32 and the autocast step both timed ({got})")
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    compare_torch.torch_worker(1, 1, ["040"], False)
check("bf16" not in json.loads(buf.getvalue())["models"]["040"], "without --torch-bf16: fp32 only")
