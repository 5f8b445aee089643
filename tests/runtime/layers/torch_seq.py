"""Checks the cases that test_torch_seq.cpp wrote against PyTorch: each case's model
(nn.Sequential of its modules.txt, with the classes of its helpers.py, from
hps::torch_helpers, the exported state_dict loaded strictly) in eval mode; output, loss,
dL/dx and every parameter's gradient compared, and each LSTM's and GRU's parameters loaded
into a plain nn.LSTM / nn.GRU too. The case folders are described in
tests/support/parity_common.py.
Usage: torch_seq.py DIR. Exit 1 on any mismatch.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
import parity_common
from torch import nn


def check_case(d):
    case = parity_common.Case(d)
    # the LSTM and GRU parameters load into a plain nn.LSTM / nn.GRU(F, U, batch_first=True) too
    ok = True
    for i, m in enumerate(case.model):
        for kind in (nn.LSTM, nn.GRU):
            if isinstance(m, kind):
                plain = kind(m.input_size, m.hidden_size, batch_first=True)
                plain.load_state_dict({k: case.load(f"p_{i}.{k}.npy") for k in plain.state_dict()}, strict=True)
        # a module named GRU... must be a torch GRU (and LSTM... an LSTM): the gate layout differs
        for prefix, kind in (("GRU", nn.GRU), ("LSTM", nn.LSTM)):
            if type(m).__name__.startswith(prefix) and not isinstance(m, kind):
                print(f"FAIL {case.name}: module {i} ({type(m).__name__}) is not an nn.{prefix}")
                ok = False
    return parity_common.check_pass(case) and ok


if __name__ == "__main__":
    parity_common.run_cases(check_case)
