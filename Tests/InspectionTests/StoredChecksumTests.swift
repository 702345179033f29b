import Checksums
import Foundation
@testable import Inspection
import KtapeTestSupport
import Layout
import ObjectStore
import RecordFormats
import Testing

/// `verify --stored-checksums` against moto with signature checking: the checksum S3 keeps with each
/// object is compared with the manifest's, reading no data, also after the bucket was copied.
@Suite(.serialized)
struct StoredChecksumTests {
    static let layout = StoreLayout(prefix: "prod", topicsDir: "topics")
    static let partSize = 5 * 1024 * 1024

    /// Three objects of one partition as a backup writes them: two single PUTs and one multipart
    /// upload of three parts (S3's full-object CRC64NVME, combined from the parts'), and their manifest;
    /// without `etags` the manifest does not record the uploads' ETags, so every object takes a HEAD.
    static func backUp(into store: S3Store, etags: Bool = true) async throws -> RunManifest {
        var objects: [ManifestObject] = []
        var offset: Int64 = 0
        for count in [10, 11_500, 20] {
            var body: [UInt8] = []
            let value = Array(repeating: UInt8(ascii: "x"), count: 1000)
            for n in 0..<count {
                EnvelopeEncoder.append(
                    KafkaRecord(
                        offset: offset + Int64(n), timestamp: 1, timestampType: .createTime,
                        key: nil, value: value), to: &body)
            }
            let key = layout.key(
                for: try ObjectKey(topic: "orders", partition: 0, startOffset: offset, kind: ObjectFileKind(.envelope, .none)))
            let upload = StreamingUpload(store: store, key: key, partSize: partSize, concurrency: 2)
            try await upload.write(body)
            let summary = try await upload.finish()
            #expect(summary.parts == (body.count > partSize ? 3 : 0))
            objects.append(
                ManifestObject(
                    key: key, topic: "orders", partition: 0, firstOffset: offset, lastOffset: offset + Int64(count) - 1,
                    recordCount: Int64(count), byteSize: summary.size, crc64nvme: summary.crc64nvme.base64,
                    etag: etags ? summary.etag : nil))
            offset += Int64(count)
        }
        let manifest = run(objects, format: .envelope, endOffset: offset)
        try await store.put(layout.runManifestKey(manifest.runId), body: Array(try manifest.encoded(layout: layout)))
        return manifest
    }

    /// One run's manifest holding `objects`, all of partition 0 of their topic, which it covers to `endOffset`.
    static func run(_ objects: [ManifestObject], format: StoreFormat, endOffset: Int64) -> RunManifest {
        let topic = objects.first?.topic ?? "orders"
        let started = Date(timeIntervalSince1970: 1_800_000_000)
        return RunManifest(
            runId: RunID(startedAt: started, shard: "all", randomSuffix: 0xabcd), previousRunId: nil, job: "nightly",
            shard: "all", startedAt: started, finishedAt: started,
            store: ManifestStoreSettings(topicsDir: "topics", format: format, compression: .none),
            configHash: "test", topics: [ManifestTopic(name: topic, partitionCount: 1)],
            partitions: [ManifestPartition(topic: topic, partition: 0, startOffset: 0, endOffset: endOffset, endOffsetAtStart: endOffset)],
            objects: objects)
    }

    static func verify(_ store: S3Store, storedChecksums: Bool = true) async throws -> VerifyReport {
        var options = VerifyOptions(concurrency: 2)
        options.storedChecksums = storedChecksums
        return try await StoreVerifier(store: store, layout: layout, options: options).run()
    }

    @Test func aBackupsObjectsMatchWhatS3KeepsAndDamageIsNamed() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let manifest = try await Self.backUp(into: store)
        let report = try await Self.verify(store)
        #expect(report.problems == [])
        #expect(report.storedChecksumsCompared == 3)
        #expect(report.bytesRead == 0 && report.objectsChecked == 0)
        #expect(report.summaryLine == "verify: 1 run, 3 objects checked by stored checksums (no data read): no problems")
        #expect(
            report.notes == [
                "3 objects matched by the ETag in the listing (the one S3 gave ktape's upload), 0 by the checksum S3 keeps with them (a HEAD each); no data read"
            ])
        #expect(try await Self.verify(store, storedChecksums: false).problems == [])
        // Without ETags in the manifest, each object's stored CRC64NVME is asked for and matches.
        let asked = try await server.freshStore()
        _ = try await Self.backUp(into: asked, etags: false)
        let byChecksum = try await Self.verify(asked)
        #expect(byChecksum.problems == [])
        #expect(
            byChecksum.notes == [
                "0 objects matched by the ETag in the listing (the one S3 gave ktape's upload), 3 by the checksum S3 keeps with them (a HEAD each); no data read"
            ])

        // The same size, other bytes: only a checksum can tell.
        let victim = manifest.objects[0]
        var bytes = try await store.get(victim.key)
        bytes[bytes.count - 3] ^= 0x01
        try await store.put(victim.key, body: bytes)
        let damaged = try await Self.verify(store)
        #expect(damaged.problems.map(\.subject) == [victim.key])
        // The damaged one was asked for by a HEAD and differs: a problem, not counted as matched.
        #expect(
            damaged.notes == [
                "2 objects matched by the ETag in the listing (the one S3 gave ktape's upload), 0 by the checksum S3 keeps with them (a HEAD each); no data read"
            ])
        #expect(
            damaged.problems.first?.message == "the store's CRC64NVME \(CRC64NVME.checksum(bytes).base64) differs from the manifest "
                + "of run \(manifest.runId), \(victim.crc64nvme ?? ""): the object's bytes changed")
    }

    /// A companion whose size and CRC64NVME the manifest recorded is checked by what S3 keeps with it
    /// too: by its recorded ETag, or without one by a HEAD; a change to it is named.
    @Test func companionsAreComparedWithTheirRecordedChecksums() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let name = try ObjectKey(topic: "clicks", partition: 0, startOffset: 0, kind: ObjectFileKind(.values))
        var summaries: [StreamingUpload.Summary] = []
        for (kind, body) in [(ObjectFileKind(.values), "{\"n\":1}\n{\"n\":2}\n"), (ObjectFileKind(.keys), "\"a\"\n\"b\"\n")] {
            let upload = StreamingUpload(
                store: store, key: Self.layout.key(for: name.with(kind: kind)), partSize: Self.partSize, concurrency: 1)
            try await upload.write(Array(body.utf8))
            summaries.append(try await upload.finish())
        }
        let object = ManifestObject(
            key: summaries[0].key, topic: "clicks", partition: 0, firstOffset: 0, lastOffset: 1, recordCount: 2,
            byteSize: summaries[0].size, crc64nvme: summaries[0].crc64nvme.base64, etag: summaries[0].etag,
            companionKeys: [summaries[1].key],
            companionChecksums: [CompanionChecksum(byteSize: summaries[1].size, crc64nvme: summaries[1].crc64nvme.base64)])
        var withETag = object
        withETag.companionChecksums?[0].etag = summaries[1].etag
        let manifest = Self.run([withETag], format: .confluentJSON, endOffset: 2)
        try await store.put(Self.layout.runManifestKey(manifest.runId), body: Array(try manifest.encoded(layout: Self.layout)))
        let byETag = try await Self.verify(store)
        #expect(byETag.problems == [])
        #expect(byETag.storedChecksumsCompared == 2)
        #expect(byETag.summaryLine == "verify: 1 run, 1 object (+1 companions) checked by stored checksums (no data read): no problems")
        #expect(
            byETag.notes == [
                "2 objects matched by the ETag in the listing (the one S3 gave ktape's upload), 0 by the checksum S3 keeps with them (a HEAD each); no data read"
            ])
        // Without the companion's ETag in the manifest, a HEAD.
        var older = manifest
        older.objects = [object]
        try await store.put(Self.layout.runManifestKey(manifest.runId), body: Array(try older.encoded(layout: Self.layout)))

        let clean = try await Self.verify(store)
        #expect(clean.problems == [])
        #expect(clean.storedChecksumsCompared == 2)
        // The data object by its recorded ETag, the companion by a HEAD.
        #expect(
            clean.notes == [
                "1 object matched by the ETag in the listing (the one S3 gave ktape's upload), 1 by the checksum S3 keeps with it (a HEAD each); no data read"
            ])

        let changed = Array("\"a\"\n\"c\"\n".utf8)
        try await store.put(summaries[1].key, body: changed)
        let damaged = try await Self.verify(store)
        #expect(
            damaged.problems.map(\.description) == [
                "\(summaries[1].key): the store's CRC64NVME \(CRC64NVME.checksum(changed).base64) differs from the manifest of run "
                    + "\(manifest.runId), \(summaries[1].crc64nvme.base64): the object's bytes changed"
            ])
    }

    /// `aws s3 sync` and `aws s3 cp --recursive` between buckets copy an object below the CLI's multipart
    /// threshold with CopyObject, which keeps its checksum: the manifest's value (asked for by a HEAD
    /// each here, the manifest having no ETags).
    @Test(arguments: [["sync"], ["cp", "--recursive"]])
    func aBucketCopiedObjectByObjectStillMatches(_ command: [String]) async throws {
        let server = try await S3TestServer.shared.value
        let source = try await server.freshStore()
        let target = try await server.freshStore()
        _ = try await Self.backUp(into: source, etags: false)
        try await AWSCLI.run(
            ["s3"] + command + ["s3://\(source.config.bucket)/prod", "s3://\(target.config.bucket)/prod", "--quiet"],
            server: server, config: "[default]\ns3 =\n  multipart_threshold = 64MB\n")
        let report = try await Self.verify(target)
        #expect(report.problems == [], "\(report.problems)")
        #expect(report.storedChecksumsCompared == 3)
    }

    /// An object copied into an archive storage class (GLACIER) matches, but a restore or full verify
    /// would stop at it (GetObject answers InvalidObjectState): the listing says so, and the pass
    /// warns naming it and the class. It said "no problems" before.
    @Test func anObjectInAnArchiveStorageClassIsNamed() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let manifest = try await Self.backUp(into: store, etags: false)
        let archived = manifest.objects[0]
        let uri = "s3://\(store.config.bucket)/\(archived.key)"
        try await AWSCLI.run(["s3", "cp", uri, uri, "--storage-class", "GLACIER", "--quiet"], server: server)
        let report = try await Self.verify(store)
        #expect(report.problems == [], "\(report.problems)")
        #expect(report.warnings.map(\.subject) == [archived.key], "\(report.warnings)")
        #expect(report.warnings.first?.message.hasPrefix("is in storage class GLACIER: unless it was restored from the archive") == true)
    }

    /// Above the threshold (8 MB by default) the CLI copies part by part into a new multipart upload. AWS
    /// gives such an object its default full-object CRC64NVME, which equals the manifest's; moto keeps no
    /// checksum for it. Either way nothing passes unchecked: an object without a comparable checksum is a
    /// problem that says to read it.
    @Test func anObjectCopiedPartByPartIsComparedOrNamed() async throws {
        let server = try await S3TestServer.shared.value
        let source = try await server.freshStore()
        let target = try await server.freshStore()
        let manifest = try await Self.backUp(into: source, etags: false)
        try await AWSCLI.run(
            ["s3", "sync", "s3://\(source.config.bucket)/prod", "s3://\(target.config.bucket)/prod", "--quiet"], server: server)
        let large = manifest.objects[1]
        #expect(large.byteSize > 8 * 1024 * 1024)
        let report = try await Self.verify(target)
        #expect(report.problems.allSatisfy { $0.subject == large.key }, "\(report.problems)")
        if let problem = report.problems.first {
            #expect(problem.message.hasPrefix("the store keeps no checksum with it, so it cannot be checked without reading it"))
        }
        #expect(try await Self.verify(target, storedChecksums: false).problems == [])
    }

    /// An object uploaded again by a tool that chose another checksum (the AWS CLI's `--checksum-algorithm`,
    /// CRC32 by default in its version 2) cannot be compared: a problem that says to read it instead. (With
    /// the same bytes its MD5 ETag would still match a manifest's ETag; here the manifest has none.)
    @Test func anObjectWithAnotherChecksumCannotBeComparedAndSaysSo() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let manifest = try await Self.backUp(into: store, etags: false)
        let victim = manifest.objects[2]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-object-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(try await store.get(victim.key)).write(to: file)
        try await AWSCLI.run(
            ["s3", "cp", file.path, "s3://\(store.config.bucket)/\(victim.key)", "--checksum-algorithm", "CRC32", "--quiet"],
            server: server)
        let report = try await Self.verify(store)
        #expect(report.problems.map(\.subject) == [victim.key])
        let message = try #require(report.problems.first?.message)
        #expect(message.hasPrefix("the store keeps a CRC32 "), "\(message)")
        #expect(message.hasSuffix("run verify without --stored-checksums"))
        // Reading it shows the bytes are whole.
        #expect(try await Self.verify(store, storedChecksums: false).problems == [])
    }

    /// The comparison itself, for what S3 may answer.
    @Test func comparisonRules() {
        let run = RunID(startedAt: Date(timeIntervalSince1970: 1_800_000_000), shard: "all", randomSuffix: 1)
        let crc = CRC64NVME.checksum(Array("abc".utf8)).base64
        let sha = String(repeating: "ab", count: 32)
        let shaBase64 = Data(repeating: 0xab, count: 32).base64EncodedString()
        let current = ManifestObject(
            key: "k", topic: "t", partition: 0, firstOffset: 0, lastOffset: 0, recordCount: 1, byteSize: 3, crc64nvme: crc)
        let older = ManifestObject(
            key: "k", topic: "t", partition: 0, firstOffset: 0, lastOffset: 0, recordCount: 1, byteSize: 3, sha256: sha)
        func info(_ checksum: StoredChecksum?, size: Int64 = 3) -> ObjectInfo {
            ObjectInfo(key: "k", size: size, etag: "e", checksum: checksum)
        }
        #expect(
            StoredChecksumCheck.compare(
                current, with: info(StoredChecksum(algorithm: "CRC64NVME", value: crc, type: "FULL_OBJECT")), run: run) == nil)
        #expect(StoredChecksumCheck.compare(current, with: info(StoredChecksum(algorithm: "CRC64NVME", value: crc)), run: run) == nil)
        #expect(
            StoredChecksumCheck.compare(current, with: info(StoredChecksum(algorithm: "CRC64NVME", value: crc), size: 4), run: run)?
                .message == "is 4 bytes, the manifest of run \(run) recorded 3")
        #expect(StoredChecksumCheck.compare(current, with: info(nil), run: run)?.message.hasPrefix("the store keeps no checksum") == true)
        // Objects of a version 2 manifest: a single PUT's SHA-256 compares; a composite one (multipart) cannot.
        #expect(StoredChecksumCheck.compare(older, with: info(StoredChecksum(algorithm: "SHA256", value: shaBase64)), run: run) == nil)
        #expect(
            StoredChecksumCheck.compare(
                older, with: info(StoredChecksum(algorithm: "SHA256", value: "AAAA" + shaBase64.dropFirst(4))), run: run)?
                .message.contains("differs") == true)
        #expect(
            StoredChecksumCheck.compare(
                older, with: info(StoredChecksum(algorithm: "SHA256", value: shaBase64 + "-3", type: "COMPOSITE")), run: run)?
                .message.contains("cannot be checked without reading it") == true)
        #expect(
            StoredChecksumCheck.compare(older, with: info(StoredChecksum(algorithm: "CRC64NVME", value: crc)), run: run)?
                .message.contains("cannot be checked without reading it") == true)
    }
}
