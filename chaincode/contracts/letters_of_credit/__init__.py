"""Documentary credits under UCP 600 / eUCP (standbys under ISP98): the rules and the ``lc`` contract.

Layers, each usable on its own:

* primitives -- :mod:`.validation` (BIC, LEI, IBAN, Ref16, SWIFT text, money, places),
  :mod:`.money` (integer minor units; ceilings rounded down, floors rounded up),
  :mod:`.banking_days` (governed calendars: art. 29 extension, art. 33 hours, art. 14b deadline),
  :mod:`.date_terms` (art. 3);
* rules -- :mod:`.terms` (MT700 validation, MT707 application), :mod:`.examination` (objective checks),
  and the pure transitions of :mod:`.credit`, :mod:`.amendments`, :mod:`.presentations`,
  :mod:`.transfers`, :mod:`.governance`: current records + request + :class:`~.access.Transaction`
  in, :class:`~.ledger.Transition` (records to write, state-based endorsement, event, answer) out;
* :mod:`.service` -- one async method per operation over the small :class:`~.ledger.CreditLedger`
  state interface (read / write / require_endorsers / emit_event);
* :mod:`.contract` -- the ``lc`` contract, a :class:`~tradefin.chaincode.contracts.rule_contract.RuleContract`
  (that interface over the shim's stub, callers from certificates, errors mapped to the catalogue).

Every refusal is an :class:`~.errors.LcRuleError` with a catalogue code and the field at fault.
"""
