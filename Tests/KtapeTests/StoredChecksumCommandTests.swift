import Foundation
import KtapeTestSupport
import ObjectStore
import Testing

/// `ktape verify --stored-checksums` as a user runs it: after a backup into S3 it reads no object and
/// exits 0; a changed object exits 3 naming it; a directory store or a contradiction exits 2.
@Suite(.serialized)
struct StoredChecksumCommandTests {
    @Test func afterABackupIntoS3EveryStoredChecksumMatchesAndDamageExitsThree() async throws {
        let server = try await S3TestServer.shared.value
        let store = try await server.freshStore()
        let kafka = try KafkaWithRecords(topic: "orders", partitions: 3, records: 30)
        defer { kafka.stop() }
        let url = "s3://\(store.config.bucket)/prod"
        let environment = ExitCodeTests.s3(server)
        let backup = try await KtapeProcess.runAsync(
            ["backup", "-b", kafka.bootstrap, "--topics", "orders", "--store", url, "--flush-size", "4"],
            environment: environment, unsetting: ExitCodeTests.credentialVariables)
        #expect(backup.status == 0, "\(backup.stderr)")
        let objects = try await store.listAll(prefix: "prod/topics/").map(\.key)
        #expect(objects.count >= 8)  // 30 records over 3 partitions (by key hash) in objects of 4

        let run = try await KtapeProcess.runAsync(
            ["verify", "--store", url, "--stored-checksums"], environment: environment,
            unsetting: ExitCodeTests.credentialVariables)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout
                == "note: \(objects.count) objects matched by the ETag in the listing (the one S3 gave ktape's upload), 0 by the checksum S3 keeps with them (a HEAD each); no data read\n"
                + "verify: 1 run, \(objects.count) objects checked by stored checksums (no data read): no problems\n")
        let json = try await KtapeProcess.runAsync(
            ["verify", "--store", url, "--stored-checksums", "--json"], environment: environment,
            unsetting: ExitCodeTests.credentialVariables)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["storedChecksumsCompared"] as? Int == objects.count)
        #expect(document["bytesRead"] as? Int == 0)

        let victim = objects[4]
        var bytes = try await store.get(victim)
        bytes[bytes.count / 2] ^= 0x20
        try await store.put(victim, body: bytes)
        let damaged = try await KtapeProcess.runAsync(
            ["verify", "--store", url, "--stored-checksums"], environment: environment,
            unsetting: ExitCodeTests.credentialVariables)
        #expect(damaged.status == 3)
        let problems = damaged.stdout.split(separator: "\n").filter { $0.hasPrefix("problem: ") }
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("problem: \(victim): the store's CRC64NVME ") == true, "\(damaged.stdout)")
        // The store as named, with its prefix (the bucket alone was named before).
        #expect(damaged.stderrLines == ["ktape: error: verify: 1 problem in \(url)"])
    }

    @Test func aDirectoryStoreKeepsNoChecksumsAndExitsTwo() throws {
        let directory = try KtapeProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try KtapeProcess.run(["verify", "--store", directory.path, "--stored-checksums"])
        #expect(run.status == 2)
        #expect(
            run.stderrLines == [
                "ktape: error: verify --stored-checksums: file://\(directory.path) is a directory, which keeps no checksums; run verify without --stored-checksums"
            ])
    }

    @Test func structureOnlyAndStoredChecksumsExcludeEachOther() throws {
        let run = try KtapeProcess.run(["verify", "--store", "/tmp", "--stored-checksums", "--structure-only"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--structure-only and --stored-checksums exclude each other"))
    }
}
