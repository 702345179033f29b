import Checksums
import Foundation
import Inspection
import KtapeTestSupport
import Layout
import ObjectStore
import StoreLock
import Testing
import RecordFormats

/// A store is copied (a directory copy is what `aws s3 sync` makes) and the copy damaged one way
/// at a time; verify must name exactly the damage, and a clean copy must pass.
@Suite("verify finds damage in a copied store")
struct VerifyDamageTests {
    /// Objects and records the standard fixture holds.
    static let standardObjects = 3 + 2 + 1 + 1 + 1  // orders/0: 7→3 objects, +2→1; orders/1: 4→2, +3→1; events/0: 3→1
    static let standardRecords: Int64 = 7 + 4 + 3 + 2 + 3

    func someObject(_ fixture: InspectionFixture) throws -> ManifestObject {
        try #require(fixture.manifests.first?.objects.first { $0.topic == "orders" && $0.partition == 1 })
    }

    @Test func cleanCopyPasses() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let report = try await copy.verify()
        #expect(report.problems == [])
        #expect(report.warnings == [])
        #expect(report.runs == 2)
        #expect(report.objectsChecked == Self.standardObjects)
        #expect(report.recordsChecked == Self.standardRecords)
        let bytes = copy.manifests.flatMap(\.objects).reduce(0) { $0 + $1.byteSize }
        #expect(report.bytesRead == bytes)
    }

    @Test func cleanGzipCopyPasses() async throws {
        let report = try await InspectionFixture.standard(gzip: true).copy().verify()
        #expect(report.problems == [])
        #expect(report.recordsChecked == Self.standardRecords)
    }

    @Test func deletedObjectIsMissing() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let victim = try someObject(copy)
        try copy.remove(victim.key)
        let report = try await copy.verify()
        #expect(report.problems.map(\.subject) == [victim.key])
        #expect(report.problems.first?.message.contains("is missing") == true)
        #expect(report.objectsChecked == Self.standardObjects - 1)
    }

    @Test func changedByteFailsTheChecksum() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let victim = try someObject(copy)
        var bytes = try copy.bytes(victim.key)
        let letter = try #require(bytes.indices.last { bytes[$0] == UInt8(ascii: "v") })
        bytes[letter] = UInt8(ascii: "V")  // same size, still a valid envelope: only the checksum can tell
        try copy.write(victim.key, bytes)
        let report = try await copy.verify()
        #expect(report.problems.map(\.subject) == [victim.key])
        #expect(report.problems.first?.message.contains("SHA-256") == true)
    }

    /// Prune and time-filtered restores trust a manifest's record times without reading the object:
    /// a full verify, which reads every record, compares them.
    @Test func recordTimesOtherThanTheManifestsAreAProblem() async throws {
        let copy = try await InspectionFixture.standard().copy()
        var manifest = try #require(copy.manifests.first)
        let index = try #require(manifest.objects.firstIndex { $0.topic == "orders" && $0.partition == 1 })
        manifest.objects[index].maxTimestamp = 1
        try copy.write(copy.layout.runManifestKey(manifest.runId), Array(try manifest.encoded(layout: copy.layout)))
        let report = try await copy.verify()
        #expect(report.problems.map(\.subject) == [manifest.objects[index].key])
        #expect(report.problems.first?.message.contains("the manifest recorded 1800000000000…1") == true, "\(report.problems)")
    }

    @Test func truncatedObjectHasTheWrongSize() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let victim = try someObject(copy)
        try copy.write(victim.key, Array(try copy.bytes(victim.key).dropLast(10)))
        let report = try await copy.verify()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.subject == victim.key)
        #expect(report.problems.first?.message.contains("is \(victim.byteSize - 10) bytes") == true)
    }

    @Test func strayObjectIsAWarningUnlessStrict() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let stray = "topics/orders/partition=0/orders+0+0000000100.ktape.json"
        let junk = "topics/orders/notes.txt"
        try copy.write(stray, Array("{}\n".utf8))
        try copy.write(junk, Array("hello\n".utf8))
        let report = try await copy.verify()
        #expect(report.problems == [])
        #expect(report.warnings.map(\.subject).sorted() == [stray, junk].sorted())
        let strict = try await copy.verify(VerifyOptions(strict: true))
        #expect(strict.problems.map(\.subject).sorted() == [stray, junk].sorted())
    }

    /// Two stores of different clusters merged into one (a failover cluster's backups synced over
    /// the primary's): each run sound, offsets lining up, yet a topic's history is two clusters'.
    @Test func aTopicCoveredFromTwoClustersIsAProblem() async throws {
        let copy = try await InspectionFixture.standard().copy()
        for (manifest, clusterId) in zip(copy.manifests, ["primary-id", "failover-id"]) {
            var merged = manifest
            merged.clusterId = clusterId
            try await copy.store.put(copy.layout.runManifestKey(manifest.runId), body: Array(try merged.encoded(layout: copy.layout)))
        }
        let report = try await copy.verify()
        // The second run read no record of `events`, but still covered it (from its end on), as a
        // backup's own check of a cluster counts it.
        #expect(report.problems.map(\.subject) == ["topic events", "topic orders"], "\(report.problems)")
        #expect(
            report.problems.first?.message.contains("from 2 Kafka clusters, primary-id (run \(copy.manifests[0].runId)) and failover-id")
                == true)
        #expect(report.warnings == [])
    }

    @Test func missingManifestBreaksTheRunChain() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let first = copy.manifests[0]
        let second = copy.manifests[1]
        try copy.remove(copy.layout.runManifestKey(first.runId))
        let report = try await copy.verify()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.subject == "run \(second.runId)")
        #expect(report.problems.first?.message.contains("names previous run \(first.runId)") == true)
        #expect(report.problems.first?.message.contains("is missing") == true)
        // The first run's objects are still there, now named by no manifest.
        #expect(Set(report.warnings.map(\.subject)) == Set(first.objects.map(\.key)))
        #expect(report.runs == 1)
    }

    /// A backup writes its manifest, then folds it into the index: an index naming a run whose
    /// manifest is missing means the manifest was lost (or not copied), where its objects alone look
    /// like a killed run's leftovers.
    @Test func newestManifestLostIsNamedByTheIndex() async throws {
        let fixture = try await InspectionFixture.standard()
        try await fixture.writeIndex()
        let copy = try fixture.copy()
        let newest = copy.manifests[1]
        try copy.remove(copy.layout.runManifestKey(newest.runId))
        let report = try await copy.verify()
        #expect(
            report.problems.map(\.description) == [
                "run \(newest.runId): the store index _ktape/index.json names it (its newest run), but its manifest "
                    + "_ktape/runs/\(newest.runId).json is missing: lost, or left out of a copy taken as the run finished; "
                    + "its objects are named by no manifest"
            ])
        #expect(Set(report.warnings.map(\.subject)) == Set(newest.objects.map(\.key)))
    }

    /// An index copied in from another store names none of the runs here: one problem saying so,
    /// not one "manifest is missing" per run it names.
    @Test func anIndexOfAnotherStoreIsNamedAsSuch() async throws {
        let fixture = try await InspectionFixture.standard()
        let foreign = fixture.manifests.map { manifest in
            var other = manifest
            other.runId = RunID(rawValue: "1999" + manifest.runId.rawValue.dropFirst(4))
            return other
        }
        try await fixture.writeIndex(of: foreign)
        let report = try await fixture.verify()
        #expect(report.problems.map(\.subject) == ["_ktape/index.json"], "\(report.problems)")
        #expect(report.problems.first?.message.hasPrefix("the store index _ktape/index.json names none of the 2 runs") == true)
    }

    /// A backup finishing while verify reads the store (its manifest missing from the listing, but
    /// there by the time the index names it) is a note, not a lost manifest.
    @Test func aRunFinishingWhileVerifyReadsIsNotALoss() async throws {
        let fixture = try await InspectionFixture.standard()
        try await fixture.writeIndex()
        let newest = fixture.manifests[1]
        let lagging = ListingLagStore(fixture.store)
        lagging.hide(fixture.layout.runManifestKey(newest.runId))
        let report = try await StoreVerifier(store: lagging, layout: fixture.layout, options: VerifyOptions(readData: false)).run()
        #expect(report.problems == [])
        #expect(report.notes.contains("1 run (\(newest.runId)) finished while verify ran: not checked"), "\(report.notes)")
    }

    /// An index behind the manifests (a run killed before it folded its own) is no problem.
    @Test func indexBehindTheManifestsPasses() async throws {
        let fixture = try await InspectionFixture.standard()
        try await fixture.writeIndex(of: [fixture.manifests[0]])
        let report = try await fixture.copy().verify()
        #expect(report.problems == [])
        #expect(report.warnings == [])
    }

    /// An older run's lost manifest is the run chain's problem, not reported again from the index.
    @Test func olderManifestLostIsReportedOnce() async throws {
        let fixture = try await InspectionFixture.standard()
        try await fixture.writeIndex()
        let copy = try fixture.copy()
        try copy.remove(copy.layout.runManifestKey(copy.manifests[0].runId))
        let report = try await copy.verify()
        #expect(report.problems.map(\.subject) == ["run \(copy.manifests[1].runId)"])
    }

    @Test func unreadableIndexIsAWarning() async throws {
        let fixture = try await InspectionFixture.standard()
        try fixture.write(fixture.layout.indexKey, Array("{\"format\":\"ktape-index\",\"version\":9}".utf8))
        let report = try await fixture.copy().verify()
        #expect(report.problems == [])
        #expect(report.warnings.map(\.subject) == ["_ktape/index.json"])
        #expect(report.warnings.first?.message.contains("version 9") == true)
    }

    @Test func manifestNamingAnUnknownPreviousRun() async throws {
        let fixture = try InspectionFixture()
        let ghost = RunID(rawValue: "20260101T000000.000Z-all-deadbeef")
        try await fixture.writeRun(["orders": [0: 2]], previousRunId: .some(ghost))
        let report = try await fixture.copy().verify()
        #expect(
            report.problems.map(\.description) == [
                "run \(fixture.manifests[0].runId): names previous run \(ghost), whose manifest _ktape/runs/\(ghost).json is missing"
            ])
    }

    @Test func corruptedGzipIsDamage() async throws {
        let copy = try await InspectionFixture.standard(gzip: true).copy()
        let victim = try someObject(copy)
        var bytes = try copy.bytes(victim.key)
        bytes[bytes.count / 2] ^= 0xFF
        try copy.write(victim.key, bytes)
        let report = try await copy.verify()
        #expect(Set(report.problems.map(\.subject)) == [victim.key])
        #expect(report.problems.contains { $0.message.contains("SHA-256") })
        #expect(report.problems.contains { $0.message.contains("damaged content") && $0.message.contains("gzip") })
    }

    @Test func unreadableManifestIsNamed() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let key = copy.layout.runManifestKey(copy.manifests[1].runId)
        try copy.write(key, Array("{\"format\":\"ktape-manifest\",\"version\":99}".utf8))
        let report = try await copy.verify()
        #expect(report.problems.map(\.subject) == [key])
        #expect(report.problems.first?.message.contains("version 99") == true)
    }

    /// A manifest with one digit changed in a copy (a partition count, which restore creates topics
    /// with) reads as JSON and passed verify; a prune record's first offset left records out of a
    /// restore. Both are named; an index so changed is a warning, as an unreadable one is.
    @Test func documentsChangedAfterTheirWriteAreNamed() async throws {
        let fixture = try await InspectionFixture.standard()
        try await fixture.writeIndex()
        var pruned = PrunedState()
        pruned.record(
            PrunedState.Partition(
                topic: "orders", partition: 0, firstOffset: 0, prunedAt: Date(), pruneId: "p", objects: 0, records: 0, bytes: 0))
        try fixture.write(fixture.layout.prunedKey, Array(try pruned.encoded()))
        #expect(try await fixture.copy().verify().problems == [])

        let copy = try fixture.copy()
        func changeDigit(_ key: String, after field: String) throws {
            var text = String(decoding: try copy.bytes(key), as: UTF8.self)
            let at = try #require(text.range(of: "\"\(field)\" : ")).upperBound
            let digit = try #require(text[at].wholeNumberValue)
            text.replaceSubrange(at...at, with: "\((digit + 1) % 10)")
            try copy.write(key, Array(text.utf8))
        }
        let manifestKey = copy.layout.runManifestKey(copy.manifests[1].runId)
        try changeDigit(manifestKey, after: "partitionCount")
        try changeDigit(copy.layout.prunedKey, after: "firstOffset")
        try changeDigit(copy.layout.indexKey, after: "nextOffset")
        let report = try await copy.verify()
        #expect(Set(report.problems.map(\.subject)) == [manifestKey, copy.layout.prunedKey], "\(report.problems)")
        #expect(report.problems.allSatisfy { $0.message.contains("changed after ktape wrote it") }, "\(report.problems)")
        #expect(report.problems.contains { $0.message.hasPrefix("unreadable prune record: changed after ktape wrote it") })
        // What follows from them is said to.
        #expect(
            report.notes.contains { $0.hasPrefix("read without \(copy.layout.prunedKey), \(manifestKey): problems") }, "\(report.notes)")
        // (The objects of the unreadable run are warned of as named by no manifest.)
        let index = report.warnings.filter { $0.subject == copy.layout.indexKey }
        #expect(index.count == 1 && index[0].message.contains("changed after ktape wrote it"), "\(report.warnings)")
    }

    /// A copy taken while a backup wrote carries that run's lease: verify says so, which is what
    /// explains the objects no manifest names; a killed run's expired lease is said to be taken over
    /// next; a lock changed after its write is a warning (backups and prunes stop on it).
    @Test func leasesInTheStoreLockAreNamed() async throws {
        let fixture = try await InspectionFixture.standard()
        let now = Date()
        func lease(_ runId: String, expiresIn seconds: TimeInterval) -> LeaseTable.Lease {
            LeaseTable.Lease(
                runId: runId, command: "backup", job: "nightly", holder: "otherhost pid 9", claims: [LeaseTable.Claim(topic: "orders")],
                acquiredAt: now.addingTimeInterval(-700), expiresAt: now.addingTimeInterval(seconds))
        }
        // A process of this host that has ended: its lease, not yet expired, is a killed run's.
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        var gone = lease("gone-run", expiresIn: 600)
        gone.holder = LockHolder.named(pid: ended.processIdentifier)
        let table = LeaseTable(leases: [lease("live-run", expiresIn: 600), lease("killed-run", expiresIn: -60), gone])
        try fixture.write(fixture.layout.storeLockKey, Array(try table.encoded()))
        let report = try await fixture.copy().verify()
        #expect(report.problems == [] && report.warnings == [], "\(report.problems) \(report.warnings)")
        #expect(
            report.notes.contains {
                $0.hasPrefix("_ktape/locks/store.json holds the lease of backup of job nightly by otherhost pid 9 (run live-run) until ")
                    && $0.hasSuffix("or this is a copy taken while it was; what it wrote so far is named by no manifest until it finishes")
            }, "\(report.notes)")
        #expect(
            report.notes.contains {
                $0.hasPrefix(
                    "_ktape/locks/store.json holds the lease of backup of job nightly by otherhost pid 9 (run killed-run), expired at ")
            }, "\(report.notes)")
        #expect(
            report.notes.contains {
                $0.contains("(run gone-run) until ")
                    && $0.hasSuffix("whose process of this host is gone (the run was killed): the next backup or prune takes it over")
            }, "\(report.notes)")
        #expect(!report.notes.contains { $0.contains("(run gone-run)") && $0.contains("writing into the store now") })

        let changed = String(decoding: try table.encoded(), as: UTF8.self).replacingOccurrences(of: "pid 9", with: "pid 8")
        try fixture.write(fixture.layout.storeLockKey, Array(changed.utf8))
        let damaged = try await fixture.copy().verify()
        #expect(damaged.problems == [])
        #expect(damaged.warnings.map(\.subject) == [fixture.layout.storeLockKey])
        #expect(damaged.warnings.first?.message.hasPrefix("unreadable lock: changed after ktape wrote it") == true, "\(damaged.warnings)")
    }

    @Test func objectWithWrongRecordsButMatchingChecksum() async throws {
        // A manifest that disagrees with its object's content (a bug, not a copy fault) is caught by decoding.
        let fixture = try InspectionFixture()
        let manifest = try await fixture.writeRun(["orders": [0: 3]])
        var object = manifest.objects[0]
        var body: [UInt8] = []
        EnvelopeEncoder.append(InspectionFixture.record(1), to: &body)  // offset 1 where the manifest says 0…2
        EnvelopeEncoder.append(InspectionFixture.record(2), to: &body)
        EnvelopeEncoder.append(InspectionFixture.record(3), to: &body)
        try fixture.write(object.key, body)
        object.byteSize = Int64(body.count)
        object.sha256 = Digest.hex(Digest.sha256(body))
        var edited = manifest
        edited.objects = [object]
        try fixture.write(fixture.layout.runManifestKey(manifest.runId), Array(try edited.encoded(layout: fixture.layout)))
        let report = try await fixture.verify()
        #expect(report.problems.map(\.description) == ["\(object.key): holds offsets 1…3, the manifest recorded 0…2"])
    }

    @Test func emptyStoreIsAProblem() async throws {
        let fixture = try InspectionFixture()
        let report = try await fixture.verify()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.message.contains("nothing to verify") == true)
    }

    @Test func structureOnlyReadsNothing() async throws {
        let copy = try await InspectionFixture.standard().copy()
        let victim = try someObject(copy)
        var bytes = try copy.bytes(victim.key)
        bytes[0] = UInt8(ascii: "[")
        try copy.write(victim.key, bytes)
        let report = try await copy.verify(VerifyOptions(readData: false))
        #expect(report.problems == [])
        #expect(report.objectsChecked == 0)
        // Its line says what it did check: each object the manifests name, in the listing.
        let named = copy.manifests.reduce(0) { $0 + $1.objects.count }
        #expect(named > 0 && report.objectsListed == named)
        #expect(
            report.summaryLine.contains("\(named) objects looked up in the listing (structure only, no data read): no problems"),
            "\(report.summaryLine)")
    }

    /// An object the store does not hand over (retries used up) says nothing about the backup: verify
    /// fails as a store failure (exit 1, retry), not as a problem found (exit 3, look at the object).
    @Test func anObjectTheStoreWillNotServeFailsTheRun() async throws {
        let fixture = try await InspectionFixture.standard()
        let victim = try someObject(fixture)
        let store = GetsFailStore(forwardee: fixture.store, failing: victim.key)
        await #expect(throws: InspectionError.self) {
            _ = try await StoreVerifier(store: store, layout: fixture.layout, options: VerifyOptions(concurrency: 3, chunkSize: 64)).run()
        }
        // A vanished object is still a finding.
        try fixture.remove(victim.key)
        let report = try await fixture.verify()
        #expect(report.problems.map(\.subject) == [victim.key])
    }
}

/// Gives up (as after its retries) on every ranged get of `failing`.
private struct GetsFailStore: ForwardingStore {
    let forwardee: any ObjectStore
    let failing: String
    func get(_ key: String, range: ByteRange?) async throws -> [UInt8] {
        guard key == failing else { return try await forwardee.get(key, range: range) }
        throw StoreError(.gaveUp(attempts: 4), operation: "GET", location: forwardee.location, key: key, message: "503 Slow Down")
    }
}
