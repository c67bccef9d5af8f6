"""What one channel did with one edition: the counts every channel reports."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ChannelReport:
    channel: str
    sent: int = 0
    edited: int = 0
    deleted: int = 0
    already: int = 0  # parts or recipients done by an earlier run
    failed: int = 0  # not delivered yet: the next run tries again
    refused: int = 0  # refused for good by the recipient's server (counted towards disabling it)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def __str__(self) -> str:
        done = f"{self.sent} sent" + (f", {self.edited} edited" if self.edited else "") + (f", {self.deleted} deleted" if self.deleted else "")
        done += f", {self.already} already sent" if self.already else ""
        done += f", {self.refused} refused" if self.refused else ""
        return f"{self.channel}: {done}" + (f", {self.failed} failed" if self.failed else "") + (f" ({'; '.join(self.errors[:3])})" if self.errors else "")
