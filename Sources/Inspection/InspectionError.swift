import Layout
import ObjectStore

/// Why `ls` or `verify` could not look at a store at all (as opposed to problems found in it).
public enum InspectionError: Error, Sendable, CustomStringConvertible {
    /// The store could not be listed or a manifest could not be fetched.
    case store(StoreError)
    /// A manifest that does not parse: `ls` cannot describe the store (invalid input, exit 2).
    case unreadableManifest(ManifestError)

    public var description: String {
        switch self {
        case .store(let error): return error.description
        case .unreadableManifest(let error): return "\(error) (run 'ktape verify' for every problem in the store)"
        }
    }
}
