"""Arrow arrays seen through NumPy, without copies."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc


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


#: Bytes of a pair the pair key reads: two ids of at most 256 characters (1,024 bytes each)
#: and the NUL between them (no id holds one).
KEY_BYTES = 2049
#: A random 64-bit word per (position, byte value): tabulation hashing. Fixed by its seed:
#: datasets keep keys made with it (a change is a new ``rules.PAIR_KEY_VERSION``).
_TABLE = (
    np.random.default_rng(20261206)
    .integers(0, np.iinfo(np.int64).max, size=(KEY_BYTES, 256), dtype=np.int64)
    .astype(np.uint64)
)


def pair_keys(campaign: pa.Array, influencer: pa.Array) -> npt.NDArray[np.int64]:
    """A 64-bit key per (campaign, influencer), so that pairs group by one integer instead
    of two strings: each distinct pair (dictionary-encoded first) is hashed once, as the
    XOR of a random word per byte and position of ``campaign NUL influencer`` (simple
    tabulation hashing, 3-independent). Distinct pairs may share a key (about one chance in
    10^7 among a million pairs): the caller compares the keys of the pairs it knows."""
    if len(campaign) == 0:
        return np.zeros(0, dtype=np.int64)
    joined = pc.binary_join_element_wise(campaign, influencer, "\x00")
    encoded = joined.dictionary_encode()
    offsets, data = string_buffers(encoded.dictionary)
    assert data is not None  # every pair holds its NUL
    first = int(offsets[0])
    starts = (offsets[:-1] - first).astype(np.int64)
    lengths = (offsets[1:] - offsets[:-1]).astype(np.int64)
    data = data[first : int(offsets[-1])]
    position = np.arange(len(data), dtype=np.int64) - np.repeat(starts, lengths)
    words = _TABLE[np.minimum(position, KEY_BYTES - 1), data]
    hashed = np.bitwise_xor.reduceat(words, starts) ^ (_TABLE[0, 0] * lengths.astype(np.uint64))
    indices = np.asarray(encoded.indices, dtype=np.int64)
    keys: npt.NDArray[np.int64] = hashed.view(np.int64)[indices]
    return keys
