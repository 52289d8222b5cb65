"""The launcher's error hierarchy: every failure the CLI reports as one clear message derives from here."""


class NetworkError(RuntimeError):
    """The network could not be brought up, stopped, changed or inspected."""
