"""Command groups of the ``fieldkit`` program beyond the core ones in :mod:`fieldkit.cli`."""
