"""Checks the cases that test_torch_3d.cpp wrote against PyTorch 1.13: each case's model
(nn.Sequential of its modules.txt, the exported state_dict loaded strictly) runs the same
pass, in training mode (batch statistics) or in inference; output, loss, dL/dx, every
parameter's gradient and batchnorm's running statistics after the pass compared. The case
folders are described in tests/support/parity_common.py. Usage: torch_3d.py DIR. Exit 1 on
any mismatch.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
import parity_common


def check_case(d):
    case = parity_common.Case(d)
    # gradients with a floor of 1e-2 under the tolerance: a tensor that is 0 in exact
    # arithmetic (a conv bias before batchnorm in training) compares float noise
    ok = parity_common.check_pass(case, grad_floor=1e-2, buffers=True)
    if not any(n.endswith("running_mean") for n in case.names) and "BatchNorm" in " ".join(case.modules):
        print(f"FAIL {case.name}: batchnorm exported no running statistics")
        ok = False
    return ok


if __name__ == "__main__":
    parity_common.run_cases(check_case)
