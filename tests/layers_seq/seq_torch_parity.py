"""Checks the cases that test_seq_torch.cpp wrote against PyTorch: each case's model
(nn.Sequential of its modules.txt, with the classes of its helpers.py, from
hps::torch_helpers, the exported state_dict loaded strictly) in eval mode; output, loss,
dL/dx and every parameter's gradient compared, and each LSTM's parameters loaded into a
plain nn.LSTM too. The case folders are described in tests/support/parity_common.py.
Usage: seq_torch_parity.py DIR. Exit 1 on any mismatch.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import parity_common
from torch import nn


def check_case(d):
    case = parity_common.Case(d)
    # the LSTM parameters load into a plain nn.LSTM(F, U, batch_first=True) too
    for i, m in enumerate(case.model):
        if isinstance(m, nn.LSTM):
            plain = nn.LSTM(m.input_size, m.hidden_size, batch_first=True)
            plain.load_state_dict({k: case.load(f"p_{i}.{k}.npy") for k in plain.state_dict()}, strict=True)
    return parity_common.check_pass(case)


if __name__ == "__main__":
    parity_common.run_cases(check_case)
