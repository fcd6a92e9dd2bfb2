"""Conversations that test_pdf.py sends to spawned render workers to make a render fail there; a module of its
own, so the workers need not import the test module (pytest, pypdf and the rest) to unpickle them.

Each is a message list that misbehaves only when the renderer reads it, in the worker: pickling it sends its
class and arguments, never its items."""

import os


class MessagesNeedingMemory(list):
    """Messages whose reading asks for `megabytes` MB at once, as a pathological ticket's render might."""

    def __init__(self, megabytes: int):
        super().__init__()
        self.megabytes = megabytes

    def __reduce__(self):
        return type(self), (self.megabytes,)

    def __iter__(self):
        bytes(self.megabytes * 1024 * 1024)
        return super().__iter__()


class MessagesKillingTheWorker(list):
    """Messages whose reading ends the worker process on the spot, as a crash in a native library would."""

    def __reduce__(self):
        return type(self), ()

    def __iter__(self):
        os._exit(1)
