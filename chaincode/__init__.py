"""Python chaincode: the shim (chaincode as a service) and the contracts."""
