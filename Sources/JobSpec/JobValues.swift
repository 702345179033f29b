import Foundation
import Layout

/// `log-format`.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// `on-invalid-json`: what a backup in `confluent-json` does with a value that is not JSON.
public enum InvalidJSONPolicy: String, Sendable, CaseIterable {
    case fail, skip
}

/// `key-converter`: how the `.keys.json` companions a restore reads were written, named after the
/// Confluent sink's `key.converter` (ktape's own backup writes what `StringConverter` writes).
public enum KeyConverter: String, Sendable, CaseIterable {
    /// `StringConverter`: the key as a JSON string.
    case string
    /// `JsonConverter` with `schemas.enable=false`: the key is a JSON value.
    case json
    /// `ByteArrayConverter`: the key's bytes as a base64 JSON string.
    case bytearray
}

/// `storage-class` for data objects (`_ktape/` always stays STANDARD).
public enum StorageClass: String, Sendable, CaseIterable {
    case standard = "STANDARD"
    case standardIA = "STANDARD_IA"
    case oneZoneIA = "ONEZONE_IA"
    case intelligentTiering = "INTELLIGENT_TIERING"
    case glacierIR = "GLACIER_IR"

    /// Classes S3 has that ktape refuses, with the reason.
    public static let refused: [String: String] = [
        "GLACIER": "objects in GLACIER must be thawed before restore or verify can read them",
        "DEEP_ARCHIVE": "objects in DEEP_ARCHIVE must be thawed before restore or verify can read them"
    ]
}

/// `acl`: S3 canned ACLs.
public enum CannedACL: String, Sendable, CaseIterable {
    case `private` = "private"
    case publicRead = "public-read"
    case publicReadWrite = "public-read-write"
    case authenticatedRead = "authenticated-read"
    case awsExecRead = "aws-exec-read"
    case bucketOwnerRead = "bucket-owner-read"
    case bucketOwnerFullControl = "bucket-owner-full-control"
}

/// Object Lock retention for data objects.
public struct ObjectLock: Equatable, Sendable {
    public var mode: ObjectLockMode
    public var retainDays: Int
}

/// `shard`: a static share `index/count` of a job's partitions.
public struct ShardAssignment: Equatable, Sendable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// `i/n` with 0 ≤ i < n; nil otherwise.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0].trimmingCharacters(in: .whitespaces)),
            let count = Int(parts[1].trimmingCharacters(in: .whitespaces)),
            count >= 1, index >= 0, index < count
        else { return nil }
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }
}

/// `consumer-groups`: named groups, or a regex over group ids (whole-name match).
public enum ConsumerGroupSelection: Sendable {
    case names([String])
    case regex(WholeNameRegex)

    /// True when `group` is selected.
    public func selects(_ group: String) -> Bool {
        switch self {
        case .names(let names): return names.contains(group)
        case .regex(let regex): return regex.matches(group)
        }
    }
}

/// `store`: where the backup lives.
public enum StoreLocation: Hashable, Sendable, CustomStringConvertible {
    /// `s3://bucket[/prefix]`.
    case s3(bucket: String, prefix: String)
    /// `file:///path` or a plain path.
    case directory(path: String)

    /// Parses a store URL, or says what is wrong with it. The one parser of `--store`: S3's bucket
    /// naming rules are checked here so a bad name fails before any request.
    public static func parse(_ text: String) -> Result<StoreLocation, StoreLocationProblem> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return .failure(StoreLocationProblem(text: "is empty")) }
        let lower = trimmed.lowercased()
        if lower.hasPrefix("s3://") {
            let rest = trimmed.dropFirst("s3://".count)
            let bucket = String(rest.prefix { $0 != "/" })
            let prefix = KeyParts.trimSlashes(String(rest.dropFirst(bucket.count)))
            if let problem = bucketProblem(bucket, text: text) { return .failure(problem) }
            // HTTP stacks remove such segments from the path after it was signed, so S3 refused every
            // request as SignatureDoesNotMatch, which blamed the secret key.
            if prefix.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) {
                return .failure(StoreLocationProblem(text: "'\(text)': the prefix cannot hold '.' or '..' segments"))
            }
            return .success(.s3(bucket: bucket, prefix: prefix))
        }
        if lower.hasPrefix("file://") {
            var path = String(trimmed.dropFirst("file://".count))
            if path.hasPrefix("localhost/") { path.removeFirst("localhost".count) }
            guard path.hasPrefix("/") else {
                return .failure(StoreLocationProblem(text: "'\(text)' is not file:///absolute/path"))
            }
            return .success(.directory(path: path.removingPercentEncoding ?? path))
        }
        // Anything else that starts like a URL is a mistake, never a local directory: in a container
        // a backup into ./s3:/bad would vanish with the pod.
        if let scheme = urlScheme(trimmed) {
            switch scheme.lowercased() {
            case "s3": return .failure(StoreLocationProblem(text: "'\(text)' is not an S3 URL: write s3://bucket[/prefix]"))
            case "file":
                return .failure(StoreLocationProblem(text: "'\(text)' is not a file URL: write file:///absolute/path, or the path alone"))
            default: return .failure(StoreLocationProblem(text: "scheme '\(scheme)' is not supported (use s3://, file:// or a path)"))
            }
        }
        if let first = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first,
            ["s3", "file"].contains(first.lowercased()), trimmed.contains("//")
        {
            return .failure(
                StoreLocationProblem(
                    text: "'\(text)' looks like a mistyped \(first.lowercased()):// URL; for a directory of that name write ./\(trimmed)"))
        }
        return .success(.directory(path: trimmed))
    }

    /// The scheme of `text` when it starts like a URL (`name:`, RFC 3986's scheme characters), else nil.
    /// A path that means a directory with a colon in its first name can be written `./name:…`.
    private static func urlScheme(_ text: String) -> String? {
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let scheme = text[..<colon]
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        guard let first = scheme.unicodeScalars.first, isLetter(first),
            scheme.unicodeScalars.allSatisfy({ isLetter($0) || ("0"..."9").contains($0) || "+.-".unicodeScalars.contains($0) })
        else { return nil }
        return String(scheme)
    }

    /// S3's rules for bucket names (3–63 of a–z, 0–9, `.`, `-`; a letter or digit at each end).
    private static func bucketProblem(_ bucket: String, text: String) -> StoreLocationProblem? {
        guard let first = bucket.unicodeScalars.first, let last = bucket.unicodeScalars.last else {
            return StoreLocationProblem(text: "'\(text)' names no bucket")
        }
        if !(3...63).contains(bucket.count) {
            return StoreLocationProblem(text: "bucket name '\(bucket)' must be 3 to 63 characters long")
        }
        if !bucket.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" }) {
            return StoreLocationProblem(text: "bucket name '\(bucket)' may hold only lower-case letters, digits, dots and hyphens")
        }
        if ![first, last].allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) }) {
            return StoreLocationProblem(text: "bucket name '\(bucket)' must begin and end with a letter or digit")
        }
        return nil
    }

    public var description: String {
        switch self {
        case .s3(let bucket, let prefix): return prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)"
        case .directory(let path): return path
        }
    }
}

/// Why a store URL is refused.
public struct StoreLocationProblem: Error, Equatable, Sendable {
    public var text: String
}

/// Byte counts written as integers or with a unit: `16MiB`, `8 MiB`, `1GB`, `5242880`.
public enum ByteCount {
    static let units: [String: Int64] = [
        "": 1, "b": 1,
        "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
        "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000
    ]

    /// The byte count, or nil when `text` is not an integer with an optional known unit.
    public static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard !digits.isEmpty, let number = Int64(digits), let scale = units[unit] else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: scale)
        return overflow ? nil : product
    }

    /// `8 MiB`, `1 GiB`, or plain bytes when not a whole number of MiB.
    public static func describe(_ bytes: Int64) -> String {
        if bytes >= 1 << 30, bytes % (1 << 30) == 0 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        return "\(bytes) bytes"
    }

    /// For people reading a summary: `1234 B`, `1.2 KiB`, `3.4 MiB`, `5.6 GiB`.
    public static func rounded(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
