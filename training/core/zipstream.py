"""A write-only, unseekable file for zipfile: what is written waits until drained, so a zip streams chunk by chunk.

zipfile writes data descriptors when its file cannot seek, so a dataset export or a model export of any size
streams in constant memory. Plain Python; used by the dataset exports and the model exports.
"""

from __future__ import annotations


class ZipSink:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def pending(self) -> int:
        """Bytes written and not drained yet."""
        return sum(map(len, self.parts))

    def drain(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out
