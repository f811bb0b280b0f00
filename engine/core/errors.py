"""The one error type the engine raises for bad input, so callers can show its message as is."""


class PlaygroundError(ValueError):
    """A user-facing problem: bad configuration, wrong shapes, unreadable file.

    The message is meant to be shown to the user verbatim; it names the thing that is wrong.
    """
