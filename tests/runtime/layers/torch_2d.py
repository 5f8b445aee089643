"""Checks the cases that test_torch_2d.cpp wrote against PyTorch: each case's model
(nn.Sequential of its modules.txt, the exported state_dict loaded strictly) in eval mode;
output, loss, dL/dx and every parameter's gradient compared. The case folders are described
in tests/support/parity_common.py. Usage: torch_2d.py DIR. Exit 1 on any mismatch.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
import parity_common


def check_case(d):
    return parity_common.check_pass(parity_common.Case(d))


if __name__ == "__main__":
    parity_common.run_cases(check_case)
