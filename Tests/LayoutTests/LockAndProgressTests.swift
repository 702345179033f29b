import Foundation
import Testing
@testable import Layout

@Suite struct LockAndProgressTests {
    let now = Date(timeIntervalSince1970: 1_795_523_354.123)

    @Test func lockRoundTripsAndExpires() throws {
        let lock = JobLock(job: "nightly", runId: RunID(startedAt: now, shard: "all", randomSuffix: 1), holder: "host-a pid 42",
                           acquiredAt: now, expiresAt: now.addingTimeInterval(300))
        let data = try lock.encoded()
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"format\" : \"ktape-lock\""))
        #expect(text.contains("\"expiresAt\" : \"2026-11-24T12:34:14.123Z\""))
        let back = try JobLock.decode(data, name: "_ktape/locks/nightly.json")
        #expect(try back.encoded() == data)
        #expect(!back.isExpired(at: now.addingTimeInterval(299)))
        #expect(back.isExpired(at: now.addingTimeInterval(300)))
        #expect(throws: ManifestError.self) { try RunManifest.decode(data, name: "wrong kind") }
    }

    @Test func progressRoundTripsAndRefusesNewerVersions() throws {
        let progress = RestoreProgress(sourceTopic: "orders", targetTopic: "legacy.orders", partition: 3,
                                       nextSourceOffset: 1234, configHash: "abc", updatedAt: now)
        let data = try progress.encoded()
        let back = try RestoreProgress.decode(data, name: "p.json")
        #expect(back.nextSourceOffset == 1234 && back.targetTopic == "legacy.orders")
        let newer = Data(try #require(String(data: data, encoding: .utf8)).replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 9").utf8)
        #expect(throws: ManifestError(manifest: "p.json", reason: "version 9 is newer than this ktape reads (1); upgrade ktape")) {
            try RestoreProgress.decode(newer, name: "p.json")
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
