import Foundation
import KtapeTestSupport
import Spawn
import Testing
@testable import Checksums

/// Random bytes from a seed, so a failing case can be rerun from it.
extension SplitMix64 {
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

struct CRC64NVMETests {
    /// The catalogue's check value for CRC-64/NVME (the CRC of "123456789"), and what S3 shows for it.
    @Test func matchesTheCatalogueCheckValue() {
        let crc = CRC64NVME.checksum(Array("123456789".utf8))
        #expect(crc.value == 0xAE8B_1486_0A79_9888)
        #expect(crc.base64 == "rosUhgp5mIg=")
        #expect(CRC64NVME(base64: "rosUhgp5mIg=") == crc)
        #expect(CRC64NVME.checksum([UInt8]()).value == 0)
        #expect(CRC64NVME.checksum([UInt8]()).base64 == "AAAAAAAAAAA=")
    }

    @Test func base64IsReadOnlyWhenItIsEightBytesExactly() {
        #expect(CRC64NVME(base64: "rosUhgp5mA==") == nil)  // 7 bytes
        #expect(CRC64NVME(base64: "rosUhgp5mIgA") == nil)  // 9 bytes
        #expect(CRC64NVME(base64: "not base64!") == nil)
    }

    /// The folding path and the table agree for every length around the block sizes and at every alignment.
    @Test func foldingAgreesWithTheTableForEveryLengthAndAlignment() {
        var gen = SplitMix64(state: 20)
        let data = gen.bytes(4096 + 64)
        data.withUnsafeBytes { all in
            for length in Array(0...700) + [1023, 1024, 1025, 4095, 4096] {
                for offset in [0, 1, 7, 8, 13] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[offset..<offset + length])
                    var crc = CRC64NVME()
                    crc.update(slice)
                    #expect(crc.value == CRC64NVME.portable(slice), "length \(length) at offset \(offset)")
                }
            }
        }
    }

    @Test func theFastPathIsTakenOnThisMachine() throws {
        let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let hasCLMUL = flags.contains(" pclmulqdq") && flags.contains(" sse4_1")
        #expect(CRC64NVME.isAccelerated == hasCLMUL)
    }

    @Test func feedingInPiecesGivesTheWholeChecksum() {
        var gen = SplitMix64(state: 7)
        let data = gen.bytes(1 << 20)
        let whole = CRC64NVME.checksum(data)
        for _ in 0..<50 {
            var crc = CRC64NVME()
            var start = 0
            while start < data.count {
                let end = min(data.count, start + Int(gen.next() % 70_000))
                crc.update(data[start..<end])
                start = end
            }
            #expect(crc == whole)
        }
    }

    @Test func combiningTwoChecksumsGivesThatOfTheJoinedBytes() {
        var gen = SplitMix64(state: 99)
        for _ in 0..<200 {
            let a = gen.bytes(Int(gen.next() % 3000))
            let b = gen.bytes(Int(gen.next() % 3000))
            let combined = CRC64NVME.combine(.checksum(a), .checksum(b), lengthOfB: Int64(b.count))
            #expect(combined == .checksum(a + b))
        }
        // Lengths of S3 parts: the power of x is squared up, never walked byte by byte.
        let big = [UInt8](repeating: 0xA5, count: 5 << 20)
        let tail = Array("tail".utf8)
        #expect(CRC64NVME.combine(.checksum(big), .checksum(tail), lengthOfB: 4) == .checksum(big + tail))
    }

    /// An implementation ktape's code does not share: AWS's own (awscrt, as botocore and moto use it).
    @Test func agreesWithAWSCommonRuntime() throws {
        var gen = SplitMix64(state: 5)
        let sizes = [0, 1, 15, 16, 63, 64, 65, 143, 144, 1000, 65_537, 5 << 20]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crc64-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var expected: [String] = []
        for (n, size) in sizes.enumerated() {
            let data = gen.bytes(size)
            try Data(data).write(to: directory.appendingPathComponent("\(n)"))
            expected.append(String(CRC64NVME.checksum(data).value, radix: 16))
        }
        let script = """
            import sys
            from awscrt import checksums
            for n in range(int(sys.argv[2])):
                print(format(checksums.crc64nvme(open(f"{sys.argv[1]}/{n}", "rb").read()), "x"))
            """
        let process = ChildProcess()
        process.executableURL = repositoryRoot().appendingPathComponent(".venv/bin/python")
        process.arguments = ["-c", script, directory.path, String(sizes.count)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "awscrt is needed (scripts/setup installs it)")
        #expect(text.split(separator: "\n").map(String.init) == expected)
    }

    private func repositoryRoot() -> URL {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/", !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url
    }
}
