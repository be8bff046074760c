"""Arrow arrays seen through NumPy, without copies."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa


def string_buffers(
    values: pa.Array,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8] | None]:
    """The offsets of a string array's values and its data buffer, as NumPy arrays."""
    _, offsets_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    if data_buffer is None or len(values) == 0:
        return offsets, None
    return offsets, np.frombuffer(data_buffer, dtype=np.uint8)
