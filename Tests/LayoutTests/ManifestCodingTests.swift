import Foundation
import KtapeTestSupport
import Testing
@testable import Layout
@testable import TimeText

@Suite struct ManifestCodingTests {
    let manifest = ManifestSamples.run(0, range: (0, 10), objects: [ManifestSamples.object(0, 9)])

    let root = StoreLayout()

    @Test func roundTripsAndIsDeterministic() throws {
        let data = try manifest.encoded(layout: root)
        #expect(try manifest.encoded(layout: root) == data)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"format\" : \"ktape-manifest\""))
        #expect(text.contains("\"version\" : \(RunManifest.currentVersion)"))
        #expect(text.contains("\"startedAt\" : \"2026-11-24T12:29:14.123Z\""))
        #expect(text.contains("\"configHash\""))
        let back = try RunManifest.decode(data, name: "runs/x.json", layout: root)
        #expect(try back.encoded(layout: root) == data)
        #expect(back.runId == manifest.runId)
        #expect(back.objects == manifest.objects)
        #expect(back.partitions == manifest.partitions)
    }

    /// Keys are stored relative to the store root, so the same manifest read under any prefix (a
    /// bucket copied to another prefix or bucket) names that store's objects.
    @Test func keysAreRelativeToTheStoreRoot() throws {
        let written = StoreLayout(prefix: "team-a/prod")
        var mine = manifest
        mine.objects = mine.objects.map { object in
            var moved = object
            moved.key = "team-a/prod/" + object.key
            moved.companionKeys = ["team-a/prod/" + object.key.replacingOccurrences(of: ".ktape.json", with: ".keys.json")]
            return moved
        }
        let data = try mine.encoded(layout: written)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"key\" : \"topics/orders/partition=0/orders+0+0000000000.ktape.json\""))
        #expect(!text.contains("team-a"))
        let copied = try RunManifest.decode(data, name: "m", layout: StoreLayout(prefix: "inbox/from-team-a"))
        #expect(copied.objects[0].key == "inbox/from-team-a/topics/orders/partition=0/orders+0+0000000000.ktape.json")
        #expect(copied.objects[0].companionKeys == ["inbox/from-team-a/topics/orders/partition=0/orders+0+0000000000.keys.json"])
        #expect(try RunManifest.decode(data, name: "m", layout: root).objects[0].key == manifest.objects[0].key)
        // A key outside the prefix cannot be written relative to it.
        #expect(throws: ManifestError.self) { try mine.encoded(layout: StoreLayout(prefix: "elsewhere")) }
    }

    /// Version 1 manifests held keys under the prefix they were written at (`vD/topics/...`): read
    /// relative to that prefix, they name the objects of a copy under any other prefix.
    @Test func version1KeysAreReadRelativeToThePrefixTheyName() throws {
        var old = manifest
        old.objects = [ManifestSamples.object(in: "orders", 0, 0, 9)].map { object in
            var moved = object
            moved.key = "vD/topics/" + object.key.dropFirst("topics/".count)
            return moved
        }
        var text = Sealing.unsealed(try #require(String(data: try old.encoded(layout: StoreLayout(prefix: "vD")), encoding: .utf8)))
        text = text.replacingOccurrences(of: "\"version\" : \(RunManifest.currentVersion)", with: "\"version\" : 1")
            .replacingOccurrences(of: "\"key\" : \"topics/", with: "\"key\" : \"vD/topics/")
        #expect(text.contains("vD/topics/orders/partition=0/"))
        let copy = try RunManifest.decode(Data(text.utf8), name: "old", layout: StoreLayout(prefix: "dD1"))
        #expect(copy.objects[0].key == "dD1/topics/orders/partition=0/orders+0+0000000000.ktape.json")
        let atRoot = try RunManifest.decode(Data(text.utf8), name: "old", layout: root)
        #expect(atRoot.objects[0].key == "topics/orders/partition=0/orders+0+0000000000.ktape.json")
    }

    @Test func refusesUnknownFormatAndNewerVersion() throws {
        let data = try manifest.encoded(layout: root)
        let text = try #require(String(data: data, encoding: .utf8))
        let unsealed = Sealing.unsealed(text)
        let other = Data(text.replacingOccurrences(of: "ktape-manifest", with: "something-else").utf8)
        #expect(throws: ManifestError(manifest: "a.json", reason: "format is 'something-else', expected 'ktape-manifest'")) {
            try RunManifest.decode(other, name: "a.json", layout: root)
        }
        let next = RunManifest.currentVersion + 1
        let newer = Data(text.replacingOccurrences(of: "\"version\" : \(RunManifest.currentVersion)", with: "\"version\" : \(next)").utf8)
        do {
            _ = try RunManifest.decode(newer, name: "b.json", layout: root)
            Issue.record("version \(next) accepted")
        } catch let error as ManifestError {
            #expect(error.description.hasPrefix("manifest b.json: version \(next) is newer"))
        }
        #expect(throws: ManifestError.self) { try RunManifest.decode(Data("[1]".utf8), name: "c.json", layout: root) }
        let broken = Data(unsealed.replacingOccurrences(of: "\"configHash\"", with: "\"configHashX\"").utf8)
        do {
            _ = try RunManifest.decode(broken, name: "d.json", layout: root)
            Issue.record("missing field accepted")
        } catch let error as ManifestError {
            #expect(error.description.contains("missing field"))
            #expect(error.description.contains("configHash"))
        }
    }

    @Test func rfc3339ParsesOffsetsAndFractions() {
        #expect(Timestamps.parseRFC3339("2026-11-24T12:29:14Z")?.timeIntervalSince1970 == 1_795_523_354)
        for offset in ["+01:00", "+0100", "+01"] {
            #expect(Timestamps.parseRFC3339("2026-11-24T13:29:14" + offset)?.timeIntervalSince1970 == 1_795_523_354, "\(offset)")
        }
        #expect(Timestamps.parseRFC3339("2026-11-24T12:29:14.5Z")?.timeIntervalSince1970 == 1_795_523_354.5)
        #expect(Timestamps.parseRFC3339("yesterday") == nil)
        #expect(Timestamps.parseRFC3339("2026-11-24t12:29:14.123456789z")?.timeIntervalSince1970 == 1_795_523_354.123456789)
        #expect(Timestamps.parseRFC3339("1969-12-31T23:59:59.999Z") == Date(timeIntervalSince1970: -0.001))
        #expect(Timestamps.parseRFC3339("2024-02-29T00:00:00-23:59") == Date(timeIntervalSince1970: 1_709_164_800 + 86_340))
        for bad in [
            "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-00-10T00:00:00Z",
            "2026-11-24T24:00:00Z", "2026-11-24T12:60:00Z", "2026-11-24T12:29:14", "2026-11-24T12:29:14.Z",
            "2026-11-24T12:29:14Zx", "2026-11-24 12:29:14Z", "2026-11-24T12:29:14+01:0", "2026-11-24T12:29:14+24:00",
            "2026-11-24T12:29:14+01:60", "2026-11-24T12:29:14+1",
            "2026-11-24T12:29:1Z", "+2026-11-24T12:29:14Z", ""
        ] {
            #expect(Timestamps.parseRFC3339(bad) == nil, "\(bad)")
        }
    }

    /// Written and read by hand, times agree with Foundation's ISO 8601 formatter (UTC, whole
    /// milliseconds) over 5,000 random instants from 1900 to 2200 and the edges of leap years,
    /// and read back as the Date written.
    @Test func rfc3339AgreesWithFoundation() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var random = SystemRandomNumberGenerator()
        var instants: [Int64] = [0, -1, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, -2_208_988_800_000, 1_709_164_800_000]
        for _ in 0..<5000 { instants.append(Int64.random(in: -2_208_988_800_000...7_258_118_400_000, using: &random)) }
        for millis in instants {
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            let text = Timestamps.rfc3339(date)
            #expect(text == formatter.string(from: date), "\(millis)")
            #expect(Timestamps.parseRFC3339(text) == date, "\(text)")
            #expect(RunID.compactTimestamp(date) == text.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: ""))
            // The same instant written with an offset.
            let minutes = Int.random(in: -23 * 60...23 * 60, using: &random)
            let shifted = Timestamps.rfc3339(date.addingTimeInterval(Double(minutes * 60)))
            let offset = (minutes < 0 ? "-" : "+") + Timestamps.digits(abs(minutes) / 60, 2) + ":" + Timestamps.digits(abs(minutes) % 60, 2)
            let withOffset = String(shifted.dropLast()) + offset
            #expect(Timestamps.parseRFC3339(withOffset) == date, "\(withOffset)")
            #expect(Timestamps.parseRFC3339(withOffset) == formatter.date(from: withOffset), "\(withOffset)")
        }
    }

    /// Version 3 checksums objects with CRC64NVME and writes no SHA-256; a version 2 manifest's SHA-256
    /// still reads, so verify can check objects an earlier ktape wrote.
    @Test func version3CarriesCRC64NVMEAndVersion2SHA256StillReads() throws {
        var current = manifest
        current.objects[0].sha256 = nil
        current.objects[0].crc64nvme = "rosUhgp5mIg="
        let text = try #require(String(data: try current.encoded(layout: root), encoding: .utf8))
        #expect(text.contains("\"version\" : 3"))
        #expect(text.contains("\"crc64nvme\" : \"rosUhgp5mIg=\""))
        #expect(!text.contains("sha256"))
        #expect(try RunManifest.decode(Data(text.utf8), name: "m", layout: root).objects == current.objects)

        let sha = String(repeating: "ab", count: 32)
        let version2 = Sealing.unsealed(text).replacingOccurrences(of: "\"version\" : 3", with: "\"version\" : 2")
            .replacingOccurrences(of: "\"crc64nvme\" : \"rosUhgp5mIg=\"", with: "\"sha256\" : \"\(sha)\"")
        let old = try RunManifest.decode(Data(version2.utf8), name: "m", layout: root)
        #expect(old.version == 2)
        #expect(old.objects[0].sha256 == sha)
        #expect(old.objects[0].crc64nvme == nil)
        #expect(old.structuralProblems(prefix: "").isEmpty)
    }
}
