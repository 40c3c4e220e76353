"""The transparency log: the audit entries as leaves of an RFC 9162 Merkle tree, signed tree heads,
receipts, proofs, and the checks a party makes with what it kept."""
