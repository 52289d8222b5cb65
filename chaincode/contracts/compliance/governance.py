"""The consortium's compliance configuration: versioned, proposed by one member bank and in force
only once every member bank approved it (multi-bank governance).

The configuration record's key also carries a state-based endorsement policy requiring a peer of
every member, so Fabric itself refuses an adoption that not every member endorsed.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Final

from tradefin.chaincode.contracts.letters_of_credit.access import Role, Transaction
from tradefin.chaincode.contracts.letters_of_credit.money import check_minor_units, exponent
from tradefin.chaincode.contracts.letters_of_credit.reference_data import COUNTRIES
from tradefin.chaincode.contracts.letters_of_credit.validation import (
    check_at_most,
    check_country,
    check_msp_id,
    check_text,
)
from tradefin.protos import common_pb2, compliance_pb2

from .audit import audit_event
from .directory import validate_directory
from .errors import invalid_input, invalid_state, not_found, unauthorized
from .ledger import Transition, Write
from .officers import not_a_member, require_role
from .rates import parse_rate
from .records import check_list_id, governance_key, proposal_key

MAX_SCREENING_AGE_HOURS: Final = 720
MAX_APPROVAL_WINDOW_HOURS: Final = 168
#: Member banks: every change needs each one's approval and a peer of each endorses the record, which a
#: consortium of more than a hundred banks could not gather.
MAX_MEMBERS: Final = 100
#: Sanctions lists every party must be CLEAR on (UN, OFAC, EU, UK and national lists come to about a
#: dozen; every party of every payment is looked up on each).
MAX_SANCTIONS_LISTS: Final = 50
#: Embargoed countries, high-risk countries and country caps: one entry per ISO 3166-1 country.
MAX_COUNTRY_ENTRIES: Final = len(COUNTRIES)
#: Reporting thresholds: two per ISO 3166-1 country (as PBoC's for non-natural and natural persons).
MAX_REPORTING_THRESHOLDS: Final = 2 * len(COUNTRIES)

_EVENT_OBJECT: Final = "governance"


def _check_reference_money(money: common_pb2.Money, reference: str, field: str) -> None:
    if money.currency != reference:
        raise invalid_input(f"{field}.currency", f"caps and thresholds are in the reference currency {reference}")
    check_minor_units(money.minor_units, f"{field}.minor_units")


def validate_config(config: compliance_pb2.ComplianceGovernance) -> None:
    """Every field of a proposed configuration (ERR_INVALID_INPUT naming the field)."""
    members = list(config.member_msp_ids)
    check_at_most(members, "config.member_msp_ids", most=MAX_MEMBERS, noun="member banks")
    if len(set(members)) != len(members) or len(members) < 2:
        raise invalid_input("config.member_msp_ids", "at least two distinct member banks")
    for index, msp_id in enumerate(members):
        check_msp_id(msp_id, f"config.member_msp_ids[{index}]")
    check_at_most(config.sanctions_lists, "config.sanctions_lists", most=MAX_SANCTIONS_LISTS, noun="lists")
    seen_lists: set[str] = set()
    for index, listed in enumerate(config.sanctions_lists):
        check_list_id(listed.list_id, f"config.sanctions_lists[{index}].list_id")
        check_text(listed.version, f"config.sanctions_lists[{index}].version", lines=1, width=35, required=True)
        if listed.list_id in seen_lists:
            raise invalid_input(f"config.sanctions_lists[{index}]", f"list {listed.list_id} appears twice")
        seen_lists.add(listed.list_id)
    if not 1 <= config.screening_max_age_hours <= MAX_SCREENING_AGE_HOURS:
        raise invalid_input("config.screening_max_age_hours", f"1..{MAX_SCREENING_AGE_HOURS}")
    for field in ("embargoed_countries", "high_risk_countries"):
        countries = getattr(config, field)
        check_at_most(countries, f"config.{field}", most=MAX_COUNTRY_ENTRIES, noun="countries")
        for index, country in enumerate(countries):
            check_country(country, f"config.{field}[{index}]")
    reference = config.reference_currency
    exponent(reference, "config.reference_currency")
    seen_rates: set[str] = set()
    for index, rate in enumerate(config.reference_rates):
        exponent(rate.currency, f"config.reference_rates[{index}].currency")
        parse_rate(rate.rate, f"config.reference_rates[{index}].rate")
        if rate.currency in seen_rates:
            raise invalid_input(f"config.reference_rates[{index}]", f"currency {rate.currency} appears twice")
        seen_rates.add(rate.currency)
    caps = config.pilot_caps
    for name in ("max_per_payment", "max_per_day", "max_per_credit"):
        if not caps.HasField(name):
            raise invalid_input(f"config.pilot_caps.{name}", "is required")
        _check_reference_money(getattr(caps, name), reference, f"config.pilot_caps.{name}")
    check_at_most(config.country_caps, "config.country_caps", most=MAX_COUNTRY_ENTRIES, noun="country caps")
    for index, cap in enumerate(config.country_caps):
        check_country(cap.country, f"config.country_caps[{index}].country")
        _check_reference_money(cap.max_per_payment, reference, f"config.country_caps[{index}].max_per_payment")
    _check_reference_money(config.dual_control_threshold, reference, "config.dual_control_threshold")
    if not 1 <= config.approval_window_hours <= MAX_APPROVAL_WINDOW_HOURS:
        raise invalid_input("config.approval_window_hours", f"1..{MAX_APPROVAL_WINDOW_HOURS}")
    check_at_most(
        config.reporting_thresholds, "config.reporting_thresholds", most=MAX_REPORTING_THRESHOLDS, noun="thresholds"
    )
    for index, threshold in enumerate(config.reporting_thresholds):
        check_country(threshold.country, f"config.reporting_thresholds[{index}].country")
        _check_reference_money(threshold.amount, reference, f"config.reporting_thresholds[{index}].amount")
        check_text(threshold.description, f"config.reporting_thresholds[{index}].description", lines=1, width=100)
    if config.financing_policy not in compliance_pb2.FinancingPolicy.values()[1:]:
        raise invalid_input("config.financing_policy", "EXCLUSIVE or PRO_RATA")
    if not -720 <= config.pilot_day_utc_offset_minutes <= 840:
        raise invalid_input("config.pilot_day_utc_offset_minutes", "-720..840")
    check_text(config.description, "config.description", lines=1, width=200)
    validate_directory(config)


def config_sha256(config: compliance_pb2.ComplianceGovernance) -> bytes:
    """SHA-256 of a configuration serialised deterministically: what an approval names."""
    return hashlib.sha256(config.SerializeToString(deterministic=True)).digest()


def pilot_day(governance: compliance_pb2.ComplianceGovernance, tx: Transaction) -> datetime.date:
    """The pilot day of the transaction (for per-day caps): its timestamp at the governance offset."""
    offset = datetime.timedelta(minutes=governance.pilot_day_utc_offset_minutes)
    return (tx.timestamp.astimezone(datetime.UTC) + offset).date()


def _required(
    current: compliance_pb2.ComplianceGovernance | None, config: compliance_pb2.ComplianceGovernance
) -> list[str]:
    members = set(config.member_msp_ids)
    if current is not None:
        members |= set(current.member_msp_ids)
    return sorted(members)


def propose(
    tx: Transaction,
    request: compliance_pb2.ProposeGovernanceRequest,
    current: compliance_pb2.ComplianceGovernance | None,
) -> Transition[compliance_pb2.GovernanceResponse]:
    """A member bank proposes the next version; its own approval counts.

    Before the first adoption the proposer must be one of the proposed members; afterwards only a
    current member may propose. A pending proposal of the same version is replaced (its approvals
    are dropped).
    """
    require_role(tx, (Role.COMPLIANCE,), "proposing a compliance configuration")
    config = compliance_pb2.ComplianceGovernance()
    config.CopyFrom(request.config)
    validate_config(config)
    expected = current.version + 1 if current is not None else 1
    if config.version != expected:
        raise invalid_input("config.version", f"the next version is {expected}")
    proposers = current.member_msp_ids if current is not None else config.member_msp_ids
    if tx.caller.msp_id not in proposers:
        raise unauthorized(not_a_member(tx.caller.msp_id))
    config.ClearField("adopted_tx_id")
    proposal = compliance_pb2.GovernanceProposal(
        config=config,
        status=compliance_pb2.PROPOSAL_STATUS_PROPOSED,
        approvals=[_approval(tx)],
        required_msp_ids=_required(current, config),
        proposed_tx_id=tx.tx_id,
    )
    return Transition(
        response=compliance_pb2.GovernanceResponse(governance=current, proposal=proposal),
        writes=(Write(proposal_key(config.version), proposal),),
        event=audit_event(
            tx, "governance.proposed", object_type=_EVENT_OBJECT, object_id=str(config.version), to_state="PROPOSED"
        ),
    )


def _approval(tx: Transaction) -> compliance_pb2.GovernanceApproval:
    return compliance_pb2.GovernanceApproval(
        msp_id=tx.caller.msp_id, officer_hash=tx.caller.identity_hash, approved_at=tx.timestamp_proto()
    )


def approve(
    tx: Transaction,
    request: compliance_pb2.ApproveGovernanceRequest,
    current: compliance_pb2.ComplianceGovernance | None,
    proposal: compliance_pb2.GovernanceProposal | None,
) -> Transition[compliance_pb2.GovernanceResponse]:
    """A member bank approves; with the last required approval the configuration is adopted.

    The approval names the content it approves (``config_sha256``): a proposal replaced after the
    approver reviewed it is refused with ERR_INVALID_STATE.
    """
    require_role(tx, (Role.COMPLIANCE,), "approving a compliance configuration")
    if len(request.config_sha256) != hashlib.sha256().digest_size:
        raise invalid_input("config_sha256", "the SHA-256 (32 bytes) of the proposed configuration")
    if proposal is None:
        raise not_found("version", f"no proposed configuration version {request.version}")
    if proposal.status != compliance_pb2.PROPOSAL_STATUS_PROPOSED:
        raise invalid_state(f"configuration version {request.version} was already adopted")
    expected = current.version + 1 if current is not None else 1
    if proposal.config.version != expected:
        raise invalid_state(f"version {proposal.config.version} is stale: the next version is {expected}")
    if tx.caller.msp_id not in proposal.required_msp_ids:
        raise unauthorized(f"{tx.caller.msp_id} is not asked to approve this configuration")
    if request.config_sha256 != config_sha256(proposal.config):
        raise invalid_state(
            f"configuration version {request.version} is not the one approved: the proposal was replaced"
        )
    if any(item.msp_id == tx.caller.msp_id for item in proposal.approvals):
        raise invalid_state(f"{tx.caller.msp_id} already approved version {request.version}")
    updated = compliance_pb2.GovernanceProposal()
    updated.CopyFrom(proposal)
    updated.approvals.append(_approval(tx))
    approved = {item.msp_id for item in updated.approvals}
    writes = [Write(proposal_key(request.version), updated)]
    adopted = None
    if approved >= set(updated.required_msp_ids):
        updated.status = compliance_pb2.PROPOSAL_STATUS_ADOPTED
        adopted = compliance_pb2.ComplianceGovernance()
        adopted.CopyFrom(updated.config)
        adopted.adopted_tx_id = tx.tx_id
        writes.append(Write(governance_key(), adopted, endorsers=tuple(sorted(adopted.member_msp_ids))))
    state = "ADOPTED" if adopted is not None else "PROPOSED"
    return Transition(
        response=compliance_pb2.GovernanceResponse(governance=adopted or current, proposal=updated),
        writes=tuple(writes),
        event=audit_event(
            tx,
            "governance.adopted" if adopted is not None else "governance.approved",
            object_type=_EVENT_OBJECT,
            object_id=str(request.version),
            from_state="PROPOSED",
            to_state=state,
        ),
    )
