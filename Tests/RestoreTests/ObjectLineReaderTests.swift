import ObjectStore
import Testing

@testable import Restore

@Suite struct ObjectLineReaderTests {
    /// Each piece ends just past the line that reaches its budget, the rest of the chunk kept for
    /// the next; a budget of 0 still hands out a line a piece, so a read always moves on.
    @Test(arguments: [(0, [1, 1, 1, 1]), (5, [2, 2]), (6, [3, 1]), (1 << 20, [4])])
    func piecesEndPastTheLineThatReachesTheBudget(budget: Int, linesPerPiece: [Int]) async throws {
        let store = MemoryStore()
        _ = try await store.put("o.json", body: Array("aaa\nbb\ncccc\nd\n".utf8))
        let reader = try await ObjectLineReader.open("o.json", store: store, gzip: false, chunkSize: 1 << 20)
        var pieces: [Int] = []
        var lines: [String] = []
        while pieces.count <= 8 {
            var count = 0
            let more = try await reader.forEachLineOfNextPiece(budget: budget) { line in
                lines.append(String(decoding: line, as: UTF8.self))
                count += 1
            }
            guard more else { break }
            pieces.append(count)
        }
        #expect(pieces == linesPerPiece)
        #expect(lines == ["aaa", "bb", "cccc", "d"])
    }
}
