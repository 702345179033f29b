import Layout
import JobSpec

/// One thing `verify` found, naming the object, partition, run or key at fault.
public struct VerifyFinding: Equatable, Sendable, CustomStringConvertible {
    public enum Stage: String, Sendable {
        /// Manifests, run chain, presence and sizes, continuity, orphans: from the listing alone.
        case structure
        /// Objects read in full: checksums, gzip, line decoding, counts and offsets.
        case data
    }

    public var stage: Stage
    /// What is at fault: an object key, `topic/partition`, a run id or a manifest key.
    public var subject: String
    public var message: String

    public init(_ stage: Stage, _ subject: String, _ message: String) {
        self.stage = stage
        self.subject = subject
        self.message = message
    }

    public var description: String { "\(subject): \(message)" }
}

/// What a `verify` found: problems (the store is not whole: exit 3), warnings (worth a look but
/// not failing, such as objects no manifest names), notes, and what was checked.
public struct VerifyReport: Sendable {
    public var problems: [VerifyFinding] = []
    public var warnings: [VerifyFinding] = []
    /// Facts about the check itself, e.g. that a store without manifests has no checksums to compare.
    public var notes: [String] = []
    /// Readable run manifests.
    public var runs = 0
    /// Data objects read in full, and their companions.
    public var objectsChecked = 0
    public var companionsChecked = 0
    /// Bytes read as stored (compressed where gzip).
    public var bytesRead: Int64 = 0
    /// Records decoded.
    public var recordsChecked: Int64 = 0
    /// Objects whose stored checksum was compared with their manifest's (`--stored-checksums`, no data
    /// read), companions among them (`companionsChecked` counts those).
    public var storedChecksumsCompared = 0
    /// With `--structure-only`: objects the manifests name, each looked up in the listing.
    public var objectsListed = 0

    public init() {}

    /// True when no problem was found (warnings allowed).
    public var isClean: Bool { problems.isEmpty }

    /// One summary line: what was checked and how it went.
    public var summaryLine: String {
        let what =
            if storedChecksumsCompared > 0 && objectsChecked == 0 {
                "\(Self.count(runs, "run")), \(Self.count(storedChecksumsCompared - companionsChecked, "object"))"
                    + (companionsChecked > 0 ? " (+\(companionsChecked) companions)" : "") + " checked by stored checksums (no data read)"
            } else if objectsListed > 0 && objectsChecked == 0 {
                "\(Self.count(runs, "run")), \(Self.count(objectsListed, "object")) looked up in the listing (structure only, no data read)"
            } else {
                "\(Self.count(runs, "run")), \(Self.count(objectsChecked, "object")) (+\(companionsChecked) companions), "
                    + "\(ByteCount.rounded(bytesRead)), \(Self.count(Int(recordsChecked), "record")) checked"
            }
        let outcome = problems.isEmpty ? "no problems" : Self.count(problems.count, "problem")
        let warned = warnings.isEmpty ? "" : ", " + Self.count(warnings.count, "warning")
        return "verify: \(what): \(outcome)\(warned)"
    }

    /// `1 run`, `2 runs`.
    public static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)" + (n == 1 ? "" : "s") }
}

/// How `verify` runs.
public struct VerifyOptions: Sendable {
    /// Objects read at once; memory is about `concurrency × 2 × chunkSize` plus decompressed lines.
    public var concurrency: Int
    /// Bytes per ranged read.
    public var chunkSize: Int
    /// Read every object in full (stage 2); off checks the structure only.
    public var readData: Bool
    /// Stage 2 compares the checksum the store keeps with each object instead of reading it
    /// (`StoredChecksumCheck`), `headConcurrency` requests at a time.
    public var storedChecksums = false
    public var headConcurrency = 32
    /// Count orphans and keys outside the layout as problems instead of warnings.
    public var strict: Bool

    public init(concurrency: Int = 4, chunkSize: Int = 4 * 1024 * 1024, readData: Bool = true, strict: Bool = false) {
        self.concurrency = concurrency
        self.chunkSize = chunkSize
        self.readData = readData
        self.strict = strict
    }
}

/// How far stage 2 has got, for a progress line on a terminal.
public struct VerifyProgress: Sendable {
    public var objectsDone: Int
    public var objectsTotal: Int
    public var bytesDone: Int64
    public var bytesTotal: Int64
}
