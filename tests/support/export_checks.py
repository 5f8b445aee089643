"""hpsgen export of a trained point, checked as a user would use it (tests/generator/export/,
tests/examples/): the C++ library's own example built through find_package in a fresh
CMake project (at -O1: behaviour is tested, not speed), its predictions against a reference
(PyTorch's, from model.py and best.npz) within 1e-5 relative; the ONNX export through
onnx's full checker and OpenCV's dnn module, which must give the same outputs.

    sys.path.insert(0, os.path.join(HERE, "..", "support"))   # tests/support
    from export_checks import check_exported
    ours = check_exported(hpsgen, study, "model-0", work, "name", x_raw, torch_outputs)

Also the trainer's validation part of a `split X` (random) file, as the runtime draws it,
so that a test can recompute the trainer's validation figures from the export's outputs.
"""
import os
import shutil

import numpy as np

from script_checks import run, check

# -O1, as the suite's other builds of generated code
O1 = ["-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"]


def close(ours, theirs, rtol=1e-5):
    """|ours - theirs| <= rtol * (|theirs| + max |theirs|): relative, with the scale of the
    outputs as the floor for values near 0."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    if ours.shape != theirs.shape:
        return False, "shapes %s and %s" % (ours.shape, theirs.shape)
    err = np.abs(ours - theirs) / (np.abs(theirs) + np.abs(theirs).max())
    return bool(err.max() <= rtol), "largest relative difference %.3g" % err.max()


def build_example(out, name, proj, extra_cmake=""):
    """OUT/example copied to PROJ, a fresh project elsewhere that finds the package through
    -DNAME_DIR=OUT, configured at -O1 and built; `extra_cmake` is appended to its
    CMakeLists.txt. Returns the build folder."""
    shutil.rmtree(proj, ignore_errors=True)
    shutil.copytree(os.path.join(out, "example"), proj)
    if extra_cmake:
        with open(os.path.join(proj, "CMakeLists.txt"), "a") as f:
            f.write(extra_cmake)
    build = os.path.join(proj, "build")
    r = run(["cmake", "-S", proj, "-B", build, "-D" + name + "_DIR=" + out] + O1)
    check(r.returncode == 0, "find_package(" + name + ") in a fresh project: " + r.stdout[-800:] + r.stderr[-800:])
    r = run(["cmake", "--build", build, "-j2"], timeout=300)
    check(r.returncode == 0, "the example builds: " + r.stdout[-2000:] + r.stderr[-2000:])
    return build


def predict(binary, x, work):
    """The example program's predictions for the samples x (raw, channels last)."""
    x_path, y_path = os.path.join(work, "export_x.npy"), os.path.join(work, "export_y.npy")
    np.save(x_path, np.ascontiguousarray(x))
    r = run([binary, x_path, y_path])
    check(r.returncode == 0, "the example predicts: " + r.stderr)
    return np.load(y_path)


def check_onnx(hpsgen, study, point, out, name, x, theirs, batch=0, rtol=1e-5):
    """`export --format onnx` of the point into OUT: onnx's full checker accepts it and
    OpenCV's dnn module, given the raw samples x flat, reproduces `theirs` (close(), within
    rtol). batch > 0 fixes the model's batch (OpenCV 4.6 runs lstm and gru only with one).
    Returns the onnx model."""
    try:
        import cv2
        import onnx
    except ImportError as e:
        check(False, "python3-onnx and python3-opencv (scripts/install-deps.sh --test): " + str(e))
    cmd = [hpsgen, "export", study, "--point", point, "--name", name, "--format", "onnx", "-o", out]
    r = run(cmd + (["--batch", str(batch)] if batch else []))
    path = os.path.join(out, name + ".onnx")
    check(r.returncode == 0 and os.path.exists(path), "export --format onnx: " + r.stdout + r.stderr)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)  # raises: the test fails with onnx's reason
    ops = ", ".join(n.op_type for n in m.graph.node)
    print("ok: onnx's checker accepts " + os.path.basename(path) + ": " + ops, flush=True)
    cv = cv2.dnn.readNetFromONNX(path)
    cv.setInput(np.ascontiguousarray(x, np.float32).reshape(len(x), -1))
    ok, how = close(cv.forward().reshape(np.shape(theirs)), theirs, rtol)
    check(ok, "OpenCV's dnn reproduces PyTorch's outputs within %g relative (%s): %s" % (rtol, ops, how))
    return m


def check_exported(hpsgen, study, point, work, name, x, theirs, onnx_batch=False):
    """Point POINT of STUDY exported as C++ (WORK/NAME) and as ONNX (WORK/NAME_onnx): the
    example, built in a fresh project, predicts x (raw samples, channels last) as `theirs`
    within 1e-5 relative; the ONNX model passes check_onnx (with the batch fixed to len(x)
    when onnx_batch). Returns the example's predictions, for the trainer's figures."""
    out = os.path.join(work, name)
    r = run([hpsgen, "export", study, "--point", point, "--name", name, "-o", out])
    check(r.returncode == 0, "export " + point + " as a C++ library: " + r.stdout + r.stderr)
    build = build_example(out, name, os.path.join(work, name + "_fresh"))
    ours = predict(os.path.join(build, "predict"), x, work)
    ok, how = close(ours, theirs)
    check(ok, "the exported library reproduces PyTorch's outputs within 1e-5 relative: " + how)
    check_onnx(hpsgen, study, point, os.path.join(work, name + "_onnx"), name, x, theirs,
               len(x) if onnx_batch else 0)
    return ours
