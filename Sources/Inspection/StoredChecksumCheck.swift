import Checksums
import Foundation
import Layout
import ObjectStore

/// `verify --stored-checksums`: stage 2 without reading any data. Each object a manifest names must
/// be, by what the store keeps with it, the object ktape wrote:
///
/// - its listed ETag is the one the store gave ktape's upload (recorded in the manifest): S3 gives an
///   object a new ETag whenever its bytes change, so this needs no request beyond the listing;
/// - otherwise (a copy, a re-upload, a manifest before version 3) the store is asked for the checksum
///   it keeps with the object (S3: a HEAD with checksum mode), which must equal the manifest's, as must
///   the size.
///
/// S3 checked the bytes against that checksum when they were uploaded (or computed it when it copied
/// them), so a match proves the bucket holds the bytes ktape wrote. Reading them back, their gzip
/// streams, records, counts and offsets, and the companions' lines are what only the full verify checks.
enum StoredChecksumCheck {
    struct Outcome: Sendable {
        var findings: [VerifyFinding] = []
        /// Objects listed in an archive storage class: checked all the same, but not readable as they are.
        var archived: [VerifyFinding] = []
        /// Objects confirmed by their listed ETag, and objects asked for their stored checksum.
        var byETag = 0
        var byRequest = 0
    }

    /// Compares every target (`listed`: with the ETags of the listing), `concurrency` HEADs at a time;
    /// findings in key order.
    static func run(
        _ targets: [DataTarget], listed: ListedObjects, store: any ObjectStore, concurrency: Int,
        progress: @escaping @Sendable (Int) -> Void
    ) async throws -> Outcome {
        var outcome = Outcome()
        var asked: [DataTarget] = []
        for target in targets {
            if let storageClass = listed.archiveClass(of: target.key) {
                outcome.archived.append(
                    VerifyFinding(
                        .data, target.key,
                        "is in storage class \(storageClass): unless it was restored from the archive (aws s3api restore-object), a restore or a full verify stops at it"
                    ))
            }
            if let etag = target.expected?.etag, listed.etag(of: target.key) == etag { outcome.byETag += 1 } else { asked.append(target) }
        }
        progress(outcome.byETag)
        var findings: [(key: String, finding: VerifyFinding?)] = []
        try await forEachConcurrently(
            asked, limit: concurrency,
            { target in
                (target.key, await check(target, store: store))
            },
            collect: { result in
                findings.append(result)
                progress(outcome.byETag + findings.count)
            })
        // Those with a finding (no checksum kept, another one, a failed HEAD) are problems, not matches.
        outcome.byRequest = findings.filter { $0.finding == nil }.count
        outcome.findings = findings.sorted { $0.key < $1.key }.compactMap(\.finding)
        return outcome
    }

    /// The companions whose size and checksum the manifest recorded, each checked as an object of
    /// its own (by its recorded ETag, or a HEAD).
    static func companionTargets(of target: DataTarget) -> [DataTarget] {
        guard let object = target.expected else { return [] }
        return target.companionKeys.compactMap { key in
            object.companionChecksum(of: key).map { recorded in
                DataTarget(
                    key: key, name: target.name,
                    expected: ManifestObject(
                        key: key, topic: object.topic, partition: object.partition, firstOffset: object.firstOffset,
                        lastOffset: object.lastOffset, recordCount: object.recordCount, byteSize: recorded.byteSize,
                        crc64nvme: recorded.crc64nvme, etag: recorded.etag),
                    runId: target.runId, companionKeys: [])
            }
        }
    }

    static func check(_ target: DataTarget, store: any ObjectStore) async -> VerifyFinding? {
        guard let expected = target.expected else { return nil }
        do {
            return compare(expected, with: try await store.headWithChecksum(target.key), run: target.runId)
        } catch let error as StoreError where error.isNotFound {
            return VerifyFinding(.data, target.key, "is missing (it was listed a moment ago)")
        } catch {
            return VerifyFinding(.data, target.key, "could not be checked: \(error)")
        }
    }

    /// One problem, or nil when the store's size and checksum are the manifest's.
    static func compare(_ expected: ManifestObject, with info: ObjectInfo, run: RunID?) -> VerifyFinding? {
        let key = expected.key
        let recordedBy = "the manifest of run \(run?.rawValue ?? "?")"
        if info.size != expected.byteSize {
            return VerifyFinding(.data, key, "is \(info.size) bytes, \(recordedBy) recorded \(expected.byteSize)")
        }
        let manifestHas = expected.crc64nvme != nil ? "CRC64NVME" : "SHA-256"
        guard let stored = info.checksum else {
            return VerifyFinding(
                .data, key,
                "the store keeps no checksum with it, so it cannot be checked without "
                    + "reading it (\(recordedBy) has its \(manifestHas)); run verify without --stored-checksums")
        }
        switch (stored.algorithm, stored.isFullObject) {
        case ("CRC64NVME", true) where expected.crc64nvme != nil:
            guard stored.value == expected.crc64nvme else {
                return VerifyFinding(
                    .data, key,
                    "the store's CRC64NVME \(stored.value) differs from \(recordedBy), \(expected.crc64nvme ?? ""): the object's bytes changed"
                )
            }
            return nil
        case ("SHA256", true) where expected.crc64nvme == nil && expected.sha256 != nil:
            let hex = Data(base64Encoded: stored.value).map { $0.map { String(format: "%02x", $0) }.joined() }
            guard hex == expected.sha256 else {
                return VerifyFinding(
                    .data, key, "the store's SHA-256 \(stored.value) differs from \(recordedBy): the object's bytes changed")
            }
            return nil
        default:
            return VerifyFinding(
                .data, key,
                "the store keeps a \(stored) checksum with it and \(recordedBy) has its "
                    + "\(manifestHas), so it cannot be checked without reading it (it was uploaded again by a tool that chose "
                    + "another checksum); run verify without --stored-checksums")
        }
    }
}
