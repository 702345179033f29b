import Foundation

extension VerifyReport {
    /// `verify --json`: one JSON document with every finding and what was checked, keys sorted.
    public func jsonText(store: String) throws -> String {
        struct Finding: Encodable {
            var stage: String
            var subject: String
            var message: String
        }
        struct Document: Encodable {
            var store: String
            var clean: Bool
            var problems: [Finding]
            var warnings: [Finding]
            var notes: [String]
            var runs: Int
            var objectsChecked: Int
            var companionsChecked: Int
            var bytesRead: Int64
            var recordsChecked: Int64
            var storedChecksumsCompared: Int
        }
        let finding = { (f: VerifyFinding) in Finding(stage: f.stage.rawValue, subject: f.subject, message: f.message) }
        let document = Document(
            store: store, clean: isClean, problems: problems.map(finding), warnings: warnings.map(finding),
            notes: notes, runs: runs, objectsChecked: objectsChecked, companionsChecked: companionsChecked,
            bytesRead: bytesRead, recordsChecked: recordsChecked,
            storedChecksumsCompared: storedChecksumsCompared)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }
}
