import Foundation
import KtapeTestSupport
import Testing
@testable import Layout

/// The hand-read `objects` and `partitions` must give exactly what JSONDecoder gives, and hand over
/// to JSONDecoder whenever a document is outside the plain subset ktape writes.
@Suite struct ManifestBulkDecodingTests {
    static let layout = StoreLayout(prefix: "", topicsDir: "topics")

    /// Manifests with every optional field present or absent, gaps, companions and non-ASCII topics.
    static func randomManifest(_ random: inout SplitMix64) -> RunManifest {
        var manifest = ManifestSamples.run(Double(random.next() % 1000), range: (0, 10), objects: [])
        let topics = ["orders", "zahlungen-ü", "日本", "a.b_c-d"]
        manifest.partitions = []
        for index in 0..<Int(random.next() % 5) {
            var gaps: [OffsetGap] = []
            for g in 0..<Int(random.next() % 3) {
                let start = Int64(g) * 10
                gaps.append(OffsetGap(start: start, end: start + 5, reason: g % 2 == 0 ? .retention : .noRecords))
            }
            let start = Int64(random.next() % 100)
            let end = Int64(random.next() % 1_000_000)
            manifest.partitions.append(
                ManifestPartition(
                    topic: topics[index % topics.count], partition: Int32(index), startOffset: start, endOffset: end,
                    endOffsetAtStart: -1, gaps: gaps, lastRecordCrc64nvme: random.next() % 2 == 0 ? "AAECAwQFBgc=" : nil))
        }
        manifest.objects = (0..<Int(random.next() % 20)).map { index in
            let topic = topics[Int(random.next() % UInt64(topics.count))]
            let first = Int64(random.next() % 1_000_000_000_000)
            let optional = random.next()
            return ManifestObject(
                key: "topics/\(topic)/partition=\(index)/\(topic)+\(index)+\(ObjectKey.paddedOffset(first)).ktape.json",
                topic: topic, partition: Int32(index), firstOffset: first, lastOffset: first + 9, spanStart: first - 1,
                spanEnd: first + 12, recordCount: 10, byteSize: Int64(random.next() % 100_000_000),
                crc64nvme: optional & 1 == 0 ? "TTacM3klR7I=" : nil, sha256: optional & 2 == 0 ? String(repeating: "0f", count: 32) : nil,
                etag: optional & 4 == 0 ? "\"9b2cf535f27731c974343645a3985328-3\"" : nil,
                companionKeys: optional & 8 == 0 ? ["topics/\(topic)/partition=\(index)/k.keys.json"] : [],
                companionChecksums: optional & 8 == 0 && optional & 64 == 0
                    ? [
                        CompanionChecksum(
                            byteSize: Int64(random.next() % 1000), crc64nvme: "rosUhgp5mIg=",
                            etag: optional & 128 == 0 ? "\"5d41402abc4b2a76b9719d911017c592\"" : nil)
                    ] : nil,
                minTimestamp: optional & 16 == 0 ? -5 : nil, maxTimestamp: optional & 32 == 0 ? Int64.max : nil)
        }
        // The rest of the document, every optional field present or absent too.
        let rest = random.next()
        if rest & 1 == 0 { manifest.previousRunId = RunID(rawValue: "20261124T120000.000Z-all-0badc0de") }
        if rest & 32 == 0 { manifest.clusterId = "MkU3OEVBNTcwNTJENDM2Qk" }
        manifest.store = ManifestStoreSettings(
            topicsDir: rest & 2 == 0 ? "topics" : "données/x", format: rest & 4 == 0 ? .envelope : .confluentJSON,
            compression: rest & 8 == 0 ? .none : .gzip, compressionLevel: rest & 16 == 0 ? nil : 6)
        let topicCount = Int((rest >> 8) % 3)
        var described: [ManifestTopic] = []
        for index in 0..<topicCount {
            let configs: [String: String] = index == 0 ? [:] : ["retention.ms": "604800000", "message.format": "\"quoted\" ü \\ /"]
            let policy = index == 2 ? "compact,delete" : "delete"
            let type: TopicTimestampType = index == 1 ? .logAppendTime : .createTime
            described.append(
                ManifestTopic(
                    name: topics[index], partitionCount: Int32(index * 7 + 1), configs: configs, cleanupPolicy: policy, timestampType: type)
            )
        }
        manifest.topics = described
        let offsetCount = Int((rest >> 12) % 3)
        var offsets: [ManifestGroupOffset] = []
        for index in 0..<offsetCount {
            let metadata: String? = index == 1 ? "meta \"x\"" : nil
            offsets.append(
                ManifestGroupOffset(
                    group: "g\(index)", topic: topics[index], partition: Int32(index), offset: Int64(index) * 1000, metadata: metadata))
        }
        manifest.consumerGroupOffsets = offsets
        let removedCount = Int((rest >> 16) % 3)
        if removedCount > 0 {
            manifest.removedGroupOffsets = (0..<removedCount).map {
                ManifestGroupPartition(group: "gone \"\($0)\"", topic: topics[$0], partition: Int32($0) * 3)
            }
        }
        let emptyCount = Int((rest >> 20) % 3)
        if emptyCount > 0 {
            manifest.emptyPartitions = (0..<emptyCount).map {
                ManifestEmptyPartition(topic: topics[$0], partition: Int32($0) * 2, offset: Int64($0) * 1_000_000_007)
            }
        }
        return manifest
    }

    static func viaJSONDecoder(_ data: Data) throws -> RunManifest {
        try LayoutJSON.decode(RunManifest.self, from: data, name: "m", format: RunManifest.formatName, version: RunManifest.currentVersion)
    }

    /// The manifest written an object at a time is byte for byte what JSONEncoder writes for the whole
    /// (which held about 3 KB of encoder tree per object at once), with none, one or many objects.
    @Test func objectsEncodedOneAtATimeAreWhatJSONEncoderWritesForAll() throws {
        var random = SplitMix64(state: 20_26)
        for _ in 0..<200 {
            var manifest = Self.randomManifest(&random)
            var whole = manifest
            whole.version = RunManifest.currentVersion
            #expect(try manifest.encodedBytes(layout: Self.layout) == Array(try LayoutJSON.encodeDocument(whole)))
            manifest.objects = []
            whole.objects = []
            #expect(try manifest.encodedBytes(layout: Self.layout) == Array(try LayoutJSON.encodeDocument(whole)))
        }
    }

    @Test func handReadArraysEqualJSONDecodersAnswer() throws {
        var random = SplitMix64(state: 15_4)
        for _ in 0..<200 {
            let manifest = Self.randomManifest(&random)
            let data = try manifest.encoded(layout: Self.layout)
            let split = try #require(data.withUnsafeBytes { ManifestBulkDecoding.split($0) })
            let full = try Self.viaJSONDecoder(data)
            #expect(split.objects == full.objects)
            #expect(split.partitions == full.partitions)
            let whole = try #require(data.withUnsafeBytes { ManifestBulkDecoding.manifest($0, version: RunManifest.currentVersion) })
            #expect(whole == full)
            #expect(try RunManifest.decode(data, name: "m", layout: Self.layout) == full)
            // Compact JSON (no indentation, so no seal) reads the same.
            let compact = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: Sealing.unsealed(data)))
            #expect(try RunManifest.decode(compact, name: "m", layout: Self.layout) == full)
        }
    }

    /// Escapes are read; exponents, duplicates, unknown fields, nulls in required fields and leading
    /// zeros leave the fast path. Either way the answer (or the error) is JSONDecoder's.
    @Test func documentsOutsideThePlainSubsetAreLeftToJSONDecoder() throws {
        var random = SplitMix64(state: 7)
        var manifest = Self.randomManifest(&random)
        while manifest.objects.isEmpty { manifest = Self.randomManifest(&random) }
        manifest.store = ManifestStoreSettings(topicsDir: "topics", format: .envelope, compression: .none)
        manifest.topics = [ManifestTopic(name: "orders", partitionCount: 1, configs: ["retention.ms": "1"])]
        let text = String(decoding: try manifest.encoded(layout: Self.layout), as: UTF8.self)
        let key = manifest.objects[0].key
        let escaped = key.replacingOccurrences(of: "/", with: "\\/").replacingOccurrences(of: "t", with: "\\u0074")
        let variants: [(String, String, Bool)] = [
            ("\"key\" : \"\(key)\"", "\"key\" : \"\(escaped)\\ud83d\\ude00\\\"\\n\"", true),
            ("\"key\" : \"\(key)\"", "\"key\" : \"\\ud83d\"", false),
            ("\"recordCount\" : 10", "\"recordCount\" : 1e1", false),
            ("\"recordCount\" : 10", "\"recordCount\" : 10, \"recordCount\" : 11", false),
            ("\"recordCount\" : 10", "\"recordCount\" : 10, \"future\" : {\"a\": [1, \"]\"]}", false),
            ("\"recordCount\" : 10", "\"recordCount\" : null", false),
            ("\"recordCount\" : 10", "\"recordCount\" : 010", false)
        ]
        // The rest of the document read by hand too: the same, or left to JSONDecoder.
        let rest: [(String, String, Bool)] = [
            ("\"job\" : \"nightly\"", "\"job\" : \"n\\u00e4chtlich\"", true),
            ("\"job\" : \"nightly\"", "\"job\" : \"nightly\", \"job\" : \"other\"", false),
            ("\"job\" : \"nightly\"", "\"job\" : \"nightly\", \"future\" : 1", false),
            ("\"version\" : 3", "\"version\" : 4", false),
            ("\"version\" : 3", "\"version\" : 2", true),
            ("\"shard\" : \"all\"", "\"shard\" : null", false),
            ("\"configHash\" : \"h1\"", "\"configHash\" : 1", false),
            ("\"format\" : \"ktape-manifest\"", "\"format\" : \"ktape-index\"", false),
            ("\"startedAt\" : \"", "\"startedAt\" : \"yesterday\", \"x\" : \"", false),
            (
                "\"consumerGroupOffsets\" : [",
                "\"consumerGroupOffsets\" : [{\"group\":\"g\",\"topic\":\"t\",\"partition\":0,\"offset\":1,\"metadata\":null},", true
            ),
            ("\"topicsDir\" : \"topics\"", "\"topicsDir\" : \"topics\", \"compressionLevel\" : null", true),
            ("\"timestampType\" : \"CreateTime\"", "\"timestampType\" : \"SomeTime\"", false),
            ("\"retention.ms\"", "\"retention\\u002ems\"", false)
        ]
        // Each edit takes the fast path it names (the arrays' or the whole document's) or not, and
        // gives JSONDecoder's answer or its very error either way.
        let split: (Data) -> Bool = { data in data.withUnsafeBytes { ManifestBulkDecoding.split($0) } != nil }
        let whole: (Data) -> Bool = { data in
            data.withUnsafeBytes { ManifestBulkDecoding.manifest($0, version: RunManifest.currentVersion) } != nil
        }
        for (from, to, fast, reader) in variants.map({ ($0, $1, $2, split) }) + rest.map({ ($0, $1, $2, whole) }) {
            let range = try #require(text.range(of: from), "\(from)")
            let data = Data(text.replacingCharacters(in: range, with: to).utf8)
            #expect(reader(data) == fast, "\(to)")
            let expected = Result { try Self.viaJSONDecoder(data) }
            let got = Result { try RunManifest.decode(data, name: "m", layout: Self.layout) }
            switch (expected, got) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(to)")
            case (.failure(let a), .failure(let b)): #expect("\(a)" == "\(b)", "\(to)")
            default: Issue.record("\(to): JSONDecoder gave \(expected), the manifest reader \(got)")
            }
        }
    }

    /// Random edits of manifests (bytes deleted, inserted, replaced or repeated): whatever the
    /// manifest reader answers, JSONDecoder answers the same, a manifest equal field for field or an
    /// error. A fast path that took a document JSONDecoder refuses, or read one differently, fails here.
    @Test func randomEditsGiveJSONDecodersAnswer() throws {
        var random = SplitMix64(state: 2026_12_05)
        let alphabet = Array(#"{}[],:"\019-+.eEtfnua "#.utf8) + [0x0A, 0x09, 0x00, 0x7F, 0xC3, 0xA9, 0xFF, 0xED]
        var decoded = 0
        for round in 0..<3000 {
            // Unsealed, as a document an older ktape wrote: what is compared is the reading of what is there.
            var bytes = Sealing.unsealed([UInt8](try Self.randomManifest(&random).encoded(layout: Self.layout)))
            for _ in 0...(random.next() % 3) {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes.removeSubrange(at..<min(bytes.count, at + 1 + Int(random.next() % 3)))
                case 1: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                case 2: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                default:
                    let slice = bytes[at..<min(bytes.count, at + 1 + Int(random.next() % 40))]
                    bytes.insert(contentsOf: slice, at: Int(random.next() % UInt64(bytes.count)))
                }
            }
            let data = Data(bytes)
            // JSONDecoder's manifest, its keys then placed in the store as the reader places them.
            let expected = Result {
                var manifest = try Self.viaJSONDecoder(data)
                RunManifest.placeKeys(of: &manifest, in: Self.layout)
                return manifest
            }
            let got = Result { try RunManifest.decode(data, name: "m", layout: Self.layout) }
            switch (expected, got) {
            case (.success(let a), .success(let b)):
                decoded += 1
                #expect(a == b, "round \(round): \(String(decoding: bytes, as: UTF8.self))")
            case (.failure, .failure): break
            default:
                Issue.record(
                    "round \(round): JSONDecoder gave \(expected), the manifest reader \(got): \(String(decoding: bytes, as: UTF8.self))")
            }
        }
        // Some edits (whitespace, a digit) leave a valid manifest: those are compared field by field.
        #expect(decoded > 100)
    }
}
