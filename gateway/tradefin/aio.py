"""The asyncio typed trade-finance client: the same names as :mod:`tradefin.gateway.tradefin`, with
coroutines, over an :class:`tradefin.gateway.aio.Gateway`::

    from tradefin.gateway import aio as gateway_aio
    from tradefin.gateway.tradefin import aio

    async with gateway_aio.connect(endpoint, identity, signer) as gateway:
        credits = aio.LettersOfCredit(gateway, "asia-europe")
        issued = await credits.issue(lc_id)

Errors, records and value helpers are shared with the blocking client (import them from
:mod:`tradefin.gateway.tradefin`).
"""

from tradefin.gateway.tradefin._drivers import AsyncClient
from tradefin.gateway.tradefin.compliance import AsyncCompliance as Compliance
from tradefin.gateway.tradefin.letters_of_credit import AsyncLettersOfCredit as LettersOfCredit
from tradefin.gateway.tradefin.payments import AsyncPayments as Payments

__all__ = ["AsyncClient", "Compliance", "LettersOfCredit", "Payments"]
