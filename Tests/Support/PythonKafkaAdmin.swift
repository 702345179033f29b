import Foundation
import Spawn

/// Admin calls ktape never makes, through the test venv's confluent-kafka: what an operator does to
/// the source cluster between two backups.
public enum PythonKafkaAdmin {
    /// Deletes consumer `group` (DeleteGroups); throws when the broker refuses.
    public static func deleteGroup(_ group: String, bootstrapServers: String) throws {
        try run("delete_consumer_groups", bootstrapServers, group, doing: "deleting consumer group \(group)")
    }

    /// Deletes `topic` (DeleteTopics); throws when the broker refuses.
    public static func deleteTopic(_ topic: String, bootstrapServers: String) throws {
        try run("delete_topics", bootstrapServers, topic, doing: "deleting topic \(topic)")
    }

    /// Calls AdminClient's `call` on a list of the one `name`, waiting for its result.
    private static func run(_ call: String, _ bootstrapServers: String, _ name: String, doing what: String) throws {
        let script = """
            import sys
            from confluent_kafka.admin import AdminClient
            admin = AdminClient({"bootstrap.servers": sys.argv[1]})
            for future in getattr(admin, sys.argv[3])([sys.argv[2]], request_timeout=30).values():
                future.result()
            """
        let process = ChildProcess()
        process.executableURL = S3TestServer.repositoryRoot().appendingPathComponent(".venv/bin/python")
        process.arguments = ["-c", script, bootstrapServers, name, call]
        let (status, text) = try process.runCapturingOutput()
        guard status == 0 else { throw TestSetupError("\(what) exited \(status): \(text)") }
    }
}
