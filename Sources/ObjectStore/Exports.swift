// ObjectStore's API speaks in SigV4's types (Credentials for providers, SHA-256 digests of uploads),
// so importing ObjectStore brings them along.
@_exported import SigV4
