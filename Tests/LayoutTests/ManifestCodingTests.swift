import Foundation
import Testing
@testable import Layout

@Suite struct ManifestCodingTests {
    let manifest = ManifestSamples.run(0, range: (0, 10), objects: [ManifestSamples.object(0, 9)])

    @Test func roundTripsAndIsDeterministic() throws {
        let data = try manifest.encoded()
        #expect(try manifest.encoded() == data)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"format\" : \"ktape-manifest\""))
        #expect(text.contains("\"version\" : 1"))
        #expect(text.contains("\"startedAt\" : \"2026-11-24T12:29:14.123Z\""))
        #expect(text.contains("\"configHash\""))
        let back = try RunManifest.decode(data, name: "runs/x.json")
        #expect(try back.encoded() == data)
        #expect(back.runId == manifest.runId)
        #expect(back.objects == manifest.objects)
        #expect(back.partitions == manifest.partitions)
    }

    @Test func refusesUnknownFormatAndNewerVersion() throws {
        let data = try manifest.encoded()
        let text = try #require(String(data: data, encoding: .utf8))
        let other = Data(text.replacingOccurrences(of: "ktape-manifest", with: "something-else").utf8)
        #expect(throws: ManifestError(manifest: "a.json", reason: "format is 'something-else', expected 'ktape-manifest'")) {
            try RunManifest.decode(other, name: "a.json")
        }
        let newer = Data(text.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 2").utf8)
        do {
            _ = try RunManifest.decode(newer, name: "b.json")
            Issue.record("version 2 accepted")
        } catch let error as ManifestError {
            #expect(error.description.hasPrefix("manifest b.json: version 2 is newer"))
        }
        #expect(throws: ManifestError.self) { try RunManifest.decode(Data("[1]".utf8), name: "c.json") }
        let broken = Data(text.replacingOccurrences(of: "\"configHash\"", with: "\"configHashX\"").utf8)
        do {
            _ = try RunManifest.decode(broken, name: "d.json")
            Issue.record("missing field accepted")
        } catch let error as ManifestError {
            #expect(error.description.contains("missing field"))
            #expect(error.description.contains("configHash"))
        }
    }

    @Test func rfc3339ParsesOffsetsAndFractions() {
        #expect(Timestamps.parseRFC3339("2026-11-24T12:29:14Z")?.timeIntervalSince1970 == 1_795_523_354)
        #expect(Timestamps.parseRFC3339("2026-11-24T13:29:14+01:00")?.timeIntervalSince1970 == 1_795_523_354)
        #expect(Timestamps.parseRFC3339("2026-11-24T12:29:14.5Z")?.timeIntervalSince1970 == 1_795_523_354.5)
        #expect(Timestamps.parseRFC3339("yesterday") == nil)
    }
}
