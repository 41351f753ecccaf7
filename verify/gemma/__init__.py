"""Former name of :mod:`verify.models`; ``python -m verify.gemma`` still works as an alias."""
