"""engagement.etl.arrays: a string array's offsets and data buffer seen through NumPy."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from engagement.etl.arrays import string_buffers


def test_offsets_and_bytes_of_each_value() -> None:
    values = pa.array(["ab", "", "cde", "é"])
    offsets, data = string_buffers(values)
    assert offsets.dtype == np.int32 and offsets.tolist() == [0, 2, 2, 5, 7]
    assert data is not None and data.dtype == np.uint8
    assert bytes(data) == b"abcde\xc3\xa9"  # é is two bytes of UTF-8
    texts = [bytes(data[a:b]).decode() for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    assert texts == ["ab", "", "cde", "é"]


def test_no_copies() -> None:
    values = pa.array(["inf_1", "inf_22"])
    offsets, data = string_buffers(values)
    _, offsets_buffer, data_buffer = values.buffers()
    assert np.shares_memory(offsets, np.frombuffer(offsets_buffer, dtype=np.int32))
    assert np.shares_memory(data, np.frombuffer(data_buffer, dtype=np.uint8))


def test_a_slice_keeps_its_own_offsets() -> None:
    values = pa.array(["ab", "", "cde", "é", "fg"]).slice(1, 3)
    offsets, data = string_buffers(values)
    # offsets into the whole data buffer, one more than the values
    assert offsets.tolist() == [2, 2, 5, 7]
    assert data is not None
    assert bytes(data[offsets[0] : offsets[-1]]) == b"cde\xc3\xa9"


def test_nulls_empty_and_zero_length_arrays() -> None:
    offsets, data = string_buffers(pa.array(["x", None, "yz"]))
    assert offsets.tolist() == [0, 1, 1, 3]  # a null takes no bytes
    assert data is not None and bytes(data) == b"xyz"

    offsets, data = string_buffers(pa.array([], type=pa.string()))
    assert offsets.tolist() == [0] and data is None

    offsets, data = string_buffers(pa.array(["ab", "c"]).slice(2))
    assert offsets.tolist() == [3] and data is None  # no values: no data

    offsets, data = string_buffers(pa.array(["", ""]))
    assert offsets.tolist() == [0, 0, 0]
    assert data is not None and len(data) == 0
