import Failures
import Foundation
import Kafka
import Layout
import ObjectStore
@testable import Restore
import Testing

@Suite struct StateDirTests {
    /// A --state-dir that cannot be a directory is one plain line naming it (before: "Error
    /// Domain=NSCocoaErrorDomain Code=516 … UserInfo={…}").
    @Test func aStateDirThatCannotBeMadeIsOnePlainLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ktape-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("a-file").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let cases = [
            (file, "\(file) is a file, not a directory"), (file + "/below", "\(file) is a file, not a directory"),
            ("/proc/nope", "cannot create /proc/nope: No such file or directory")
        ]
        for (path, reason) in cases {
            var options = RestoreOptions(kafka: KafkaConfig(bootstrapServers: "127.0.0.1:1"))
            options.stateDirectory = path
            do {
                _ = try ResumeStateStore(
                    options: options, clusterId: nil, store: try LocalDirectoryStore(root: directory.path), layout: StoreLayout())
                Issue.record("\(path) was taken as a state directory")
            } catch let failure as RunFailure {
                #expect(failure.message.hasPrefix("--state-dir \(path): "), "\(failure.message)")
                #expect(failure.message.contains(reason), "\(failure.message)")
                #expect(!failure.message.contains("Domain=") && !failure.message.contains("\n"), "\(failure.message)")
                #expect(failure.exitStatus == 2)
            }
        }
    }
}
