import Checksums
import Foundation
import Inspection
import Layout
import ObjectStore
import Testing

/// The full verify compares each object with the checksum its manifest has: CRC64NVME (version 3 on)
/// or SHA-256 (earlier manifests).
struct VerifyChecksumTests {
    @Test(arguments: [false, true])
    func aChangedByteFailsTheManifestsChecksum(_ crc64nvme: Bool) async throws {
        let copy = try await InspectionFixture.standard(crc64nvme: crc64nvme).copy()
        #expect(try await copy.verify().problems == [])
        let victim = try #require(copy.manifests.first?.objects.first)
        #expect((victim.crc64nvme != nil) == crc64nvme)
        #expect((victim.sha256 != nil) == !crc64nvme)
        var bytes = try copy.bytes(victim.key)
        let letter = try #require(bytes.indices.last { bytes[$0] == UInt8(ascii: "v") })
        bytes[letter] = UInt8(ascii: "V")  // same size, still a valid envelope: only the checksum can tell
        try copy.write(victim.key, bytes)
        let report = try await copy.verify()
        #expect(report.problems.map(\.subject) == [victim.key])
        let message = try #require(report.problems.first?.message)
        if crc64nvme {
            #expect(
                message
                    == "CRC64NVME \(CRC64NVME.checksum(bytes).base64) differs from the manifest's \(victim.crc64nvme ?? ""): the object's bytes changed"
            )
        } else {
            #expect(message.hasPrefix("SHA-256 "))
        }
    }
}
