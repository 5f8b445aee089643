"""Data files of a given size without numpy: an .npy of zeros (the version 1.0 header, then
the values), for tests of what depends on the data's size alone (the memory estimate)."""


def write_npy(path, descr, shape, item_size):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, "".join(f"{d}, " for d in shape))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    count = 1
    for d in shape:
        count *= d
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + bytes(count * item_size))
