import Foundation
import Testing
@testable import Layout
@testable import JobSpec

@Suite struct LockAndProgressTests {
    let now = Date(timeIntervalSince1970: 1_795_523_354.123)

    @Test func lockRoundTripsAndExpires() throws {
        let lock = JobLock(
            job: "nightly", runId: RunID(startedAt: now, shard: "all", randomSuffix: 1), holder: "host-a pid 42",
            acquiredAt: now, expiresAt: now.addingTimeInterval(300))
        let data = try lock.encoded()
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"format\" : \"ktape-lock\""))
        #expect(text.contains("\"expiresAt\" : \"2026-11-24T12:34:14.123Z\""))
        let back = try JobLock.decode(data, name: "_ktape/locks/nightly.json")
        #expect(try back.encoded() == data)
        #expect(!back.isExpired(at: now.addingTimeInterval(299)))
        #expect(back.isExpired(at: now.addingTimeInterval(300)))
        #expect(throws: ManifestError.self) { try RunManifest.decode(data, name: "wrong kind", layout: StoreLayout()) }
    }

    func partitionState(_ p: Int32, delivered: Int64 = 5) -> RestoreProgress.Partition {
        RestoreProgress.Partition(
            partition: p, sourceTopic: "orders", nextSourceOffset: 1234, configHash: "abc",
            baseTargetOffset: 100, deliveredRecords: delivered, plannedRecords: 9, updatedAt: now)
    }

    @Test func progressRoundTripsAndRefusesNewerVersions() throws {
        let progress = RestoreProgress(targetTopic: "legacy.orders", updatedAt: now, partitions: [partitionState(3), partitionState(1)])
        #expect(progress.partitions.map(\.partition) == [1, 3])
        let data = try progress.encoded()
        let back = try RestoreProgress.decode(data, name: "p.json")
        #expect(back == progress)
        let text = try #require(String(data: data, encoding: .utf8))
        let newer = Data(text.replacingOccurrences(of: "\"version\" : 2", with: "\"version\" : 9").utf8)
        #expect(
            throws: ManifestError(
                manifest: "p.json", reason: "version 9 is newer than this ktape reads (3); upgrade ktape", noun: "restore state",
                isNewerVersion: true)
        ) {
            try RestoreProgress.decode(newer, name: "p.json")
        }
        #expect(text.contains("\"version\" : 2") && !text.contains("damaged"), "\(text)")
        // An entry marked damaged makes the document version 3, which ktape before it refuses.
        var marked = partitionState(3)
        marked.damaged = .init(key: "topics/orders/partition=3/orders+3+0000001000.ktape.json", firstProducedOffset: 1000, foundAt: now)
        let withDamage = RestoreProgress(targetTopic: "t", updatedAt: now, partitions: [partitionState(1), marked])
        let damagedText = try #require(String(data: try withDamage.encoded(), encoding: .utf8))
        #expect(damagedText.contains("\"version\" : 3") && damagedText.contains("\"firstProducedOffset\" : 1000"), "\(damagedText)")
        #expect(try RestoreProgress.decode(try withDamage.encoded(), name: "p.json") == withDamage)
        let twice = RestoreProgress(targetTopic: "t", updatedAt: now, partitions: [partitionState(1), partitionState(1, delivered: 6)])
        #expect(throws: ManifestError(manifest: "t.json", reason: "partition 1 is listed twice", noun: "restore state")) {
            try RestoreProgress.decode(try twice.encoded(), name: "t.json")
        }
        #expect(
            partitionState(1).sameProgress(
                as: {
                    var s = partitionState(1)
                    s.updatedAt = .distantPast
                    return s
                }()))
        #expect(!partitionState(1).sameProgress(as: partitionState(1, delivered: 6)))
    }

    /// A damaged document is named by what it is (a lock, a restore state, not a manifest), and one
    /// that is not JSON at all says so instead of naming an empty place in it.
    @Test func damagedDocumentsAreNamedByWhatTheyAre() throws {
        let junk = Data("{\"format\":".utf8)
        let lock = #expect(throws: ManifestError.self) { try LeaseTable.decode(junk, name: "_ktape/locks/store.json") }
        #expect(
            lock?.description.hasPrefix("lock _ktape/locks/store.json: not a JSON object (not valid JSON: ") == true,
            "\(String(describing: lock))")
        #expect(lock?.description.hasSuffix("delete it once no ktape run is using the store)") == true)
        let state = #expect(throws: ManifestError.self) { try RestoreProgress.decode(junk, name: "_ktape/restore/c/t.json") }
        #expect(
            state?.description.hasPrefix("restore state _ktape/restore/c/t.json: not a JSON object") == true, "\(String(describing: state))"
        )
        let manifest = #expect(throws: ManifestError.self) { try RunManifest.decode(junk, name: "r.json", layout: StoreLayout()) }
        #expect(manifest?.description.hasPrefix("manifest r.json: ") == true, "\(String(describing: manifest))")
        // A newer ktape's lock: upgrade, rather than the advice to delete a lock ktape did not write.
        let newer = Data("{\"format\":\"ktape-leases\",\"version\":99,\"leases\":[]}".utf8)
        let future = #expect(throws: ManifestError.self) { try LeaseTable.decode(newer, name: "_ktape/locks/store.json") }
        #expect(
            future?.description == "lock _ktape/locks/store.json: version 99 is newer than this ktape reads (1); upgrade ktape",
            "\(String(describing: future))")
    }

    /// A one-partition document of version 1 is read by `decodeVersion1` and refused as a topic's.
    @Test func version1DocumentsAreReadAsOnePartition() throws {
        let text = """
            {"format": "ktape-restore-progress", "version": 1, "sourceTopic": "orders", "targetTopic": "legacy.orders",
             "partition": 3, "nextSourceOffset": 1234, "configHash": "abc", "updatedAt": "2026-11-24T12:29:14.123Z",
             "baseTargetOffset": 100, "deliveredRecords": 5, "plannedRecords": 9}
            """
        let old = try RestoreProgress.decodeVersion1(Data(text.utf8), name: "o+3.json")
        #expect(old.targetTopic == "legacy.orders")
        #expect(old.state == partitionState(3))
        #expect(
            throws: ManifestError(
                manifest: "o+3.json", reason: "version 1 is a one-partition document, not a topic's", noun: "restore state")
        ) {
            try RestoreProgress.decode(Data(text.utf8), name: "o+3.json")
        }
        let oldest = text.replacingOccurrences(of: "\"baseTargetOffset\": 100, ", with: "")
        #expect(throws: ManifestError(manifest: "o+3.json", reason: "missing field .baseTargetOffset", noun: "restore state")) {
            try RestoreProgress.decodeVersion1(Data(oldest.utf8), name: "o+3.json")
        }
    }

    @Test func jobNameAndConfigHashText() throws {
        #expect(JobSpec.jobName(forJobFile: "/etc/ktape/nightly.yaml") == "nightly")
        #expect(JobSpec.jobName(forJobFile: "x.yml") == "x")
        #expect(JobSpec.jobName(forJobFile: nil) == "ktape")
        let base = ["bootstrap-servers": "k:9092", "store": "/s", "topics": "a"]
        func hashText(_ extra: [String: String]) throws -> String {
            let doc = JobDocument.flags(base.merging(extra) { _, new in new }.mapValues { .scalar($0) })
            let job = try JobSpec(document: doc, command: .backup)
            return try #require(job.backup).configHashText(topicsDir: job.common.topicsDir.value)
        }
        #expect(try hashText([:]) == hashText(["flush-size": "10"]))
        #expect(try hashText([:]) != hashText(["compression": "gzip"]))
        #expect(try hashText([:]) != hashText(["topics-dir": "other"]))
        #expect(try hashText([:]).contains("format=envelope\n"))
    }
}
