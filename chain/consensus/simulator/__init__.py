"""A deterministic, seeded, in-process network to run the consensus under faults.

Pure: no Django, no I/O, no wall clock; the only randomness is
``random.Random`` objects seeded from the run's seed, so a run is a function
of ``(SimConfig, seed)`` and any failing run is reproduced by its seed.
One module per role:

* :mod:`~chain.consensus.simulator.faults`    configuration, fault classes, the fault plan
* :mod:`~chain.consensus.simulator.network`   messages in flight: the timing model
* :mod:`~chain.consensus.simulator.ledger`    the registry logs the blocks commit to
* :mod:`~chain.consensus.simulator.adversary` byzantine templates and the searching adversary
* :mod:`~chain.consensus.simulator.checker`   safety and liveness, reports, summaries
* :mod:`~chain.consensus.simulator.runner`    one run, and many
* :mod:`~chain.consensus.simulator.search`    the search over the adversary's choices
"""
