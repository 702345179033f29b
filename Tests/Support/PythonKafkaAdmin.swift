import Foundation
import Spawn

/// Admin calls ktape never makes, through the test venv's confluent-kafka: what an operator does to
/// the source cluster between two backups.
public enum PythonKafkaAdmin {
    /// Deletes consumer `group` (DeleteGroups); throws when the broker refuses.
    public static func deleteGroup(_ group: String, bootstrapServers: String) throws {
        let script = """
            import sys
            from confluent_kafka.admin import AdminClient
            admin = AdminClient({"bootstrap.servers": sys.argv[1]})
            for future in admin.delete_consumer_groups([sys.argv[2]], request_timeout=30).values():
                future.result()
            """
        let process = ChildProcess()
        process.executableURL = S3TestServer.repositoryRoot().appendingPathComponent(".venv/bin/python")
        process.arguments = ["-c", script, bootstrapServers, group]
        let (status, text) = try process.runCapturingOutput()
        guard status == 0 else { throw TestSetupError("deleting consumer group \(group) exited \(status): \(text)") }
    }

    /// Deletes `topic` (DeleteTopics); throws when the broker refuses.
    public static func deleteTopic(_ topic: String, bootstrapServers: String) throws {
        let script = """
            import sys
            from confluent_kafka.admin import AdminClient
            admin = AdminClient({"bootstrap.servers": sys.argv[1]})
            for future in admin.delete_topics([sys.argv[2]], request_timeout=30).values():
                future.result()
            """
        let process = ChildProcess()
        process.executableURL = S3TestServer.repositoryRoot().appendingPathComponent(".venv/bin/python")
        process.arguments = ["-c", script, bootstrapServers, topic]
        let (status, text) = try process.runCapturingOutput()
        guard status == 0 else { throw TestSetupError("deleting topic \(topic) exited \(status): \(text)") }
    }
}
