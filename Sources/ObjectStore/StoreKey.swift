/// Key rules for the backends that map keys onto names (directory, memory): a relative
/// `/`-separated path with no empty, `.` or `..` segment, so `../x` can never leave the store.
enum StoreKey {
    static func validate(_ key: String, operation: String, location: String) throws {
        func refuse(_ why: String) -> StoreError {
            StoreError(.invalidKey, operation: operation, location: location, key: key, message: why)
        }
        if key.isEmpty { throw refuse("the key is empty") }
        if key.hasPrefix("/") { throw refuse("a key cannot start with '/'") }
        if key.utf8.contains(0) { throw refuse("a key cannot contain a NUL byte") }
        for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { throw refuse("a key cannot have an empty path segment") }
            if segment == "." || segment == ".." { throw refuse("a key cannot contain '.' or '..' segments") }
        }
    }

    /// S3's listing order: lexicographic by UTF-8 bytes.
    static func utf8Less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
