"""Bilateral payment channels, cross-border payments with FX, netting and settlement (DOMAIN.md
section 3) and the ``pay`` contract.

Layers, as in letters of credit:

* primitives -- :mod:`.records` (keys, channel ids, the channel's collection, derived salts),
  :mod:`.amounts` (conversion at the quote's rate, fees per charge bearer, half-even rounding),
  :mod:`.capacity` (sharded sending capacity: what a payment may draw from one slot);
* rules -- pure transitions of :mod:`.channels` (open, deposits, suspend, wind down, close, cut-off,
  netting batch, settlement), :mod:`.quotes` and :mod:`.transfers` (initiate, dual control, status
  reports, returns);
* :mod:`.service` -- one async method per operation over the record ledger, including the payment
  a letter of credit's honour creates; :mod:`.contract` -- the ``pay`` contract over the shim.

Throughput (DOMAIN.md 3.5): there is no per-channel balance key that every payment rewrites. A bank's
sending capacity is split into slots; a payment draws from the slot(s) its client picked and adds
to that slot's tally for its cycle, and writes only keys of its own otherwise. Balances are
aggregated at cut-off into a netting batch; settled batches give the capacity back.
"""
