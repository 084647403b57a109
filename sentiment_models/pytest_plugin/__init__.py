"""The pytest plugin (registered through the ``pytest11`` entry point): options and hooks in
``plugin``, the per-case object in ``case``, what spans the session in ``session``."""
