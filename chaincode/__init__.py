"""Python chaincode: the shim (``tradefin.chaincode.shim``, chaincode as a service), the contract API
(``tradefin.chaincode.contract``) and the contracts (``tradefin.chaincode.contracts``).

Run it with ``python -m tradefin.chaincode serve``; see README.md beside this file.
"""
