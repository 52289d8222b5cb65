"""Compliance controls of the consortium (DOMAIN.md section 4) and the ``compliance`` contract.

Layers, as in letters of credit:

* primitives -- :mod:`.errors` (catalogue codes), :mod:`.records` (keys, implicit collections),
  :mod:`.rates` (decimal rates, half-even conversion), :mod:`.audit` (the event of every write);
* rules -- pure transitions of :mod:`.governance` (versioned configuration adopted by every member),
  :mod:`.kyc`, :mod:`.screening`, :mod:`.limits` (private limits, reservations and the clearance a
  payment shows), :mod:`.financing` (duplicate-financing registry), and :mod:`.gate` (the checks a
  payment or a credit must pass: KYC, sanctions, embargo);
* :mod:`.ledger` -- the state seam the rules need (adds hashes, scans and history to the letters of
  credit one), :mod:`.service` -- one async method per operation over it, :mod:`.reader` -- what
  other contracts read of compliance;
* :mod:`.contract` -- the ``compliance`` contract over the shim.
"""
