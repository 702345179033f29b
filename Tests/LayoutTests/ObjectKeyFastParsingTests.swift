import KtapeTestSupport
import Testing
@testable import Layout

/// The byte-level key parser must accept exactly what the checking parser accepts, with the same
/// answer; where it gives up, the checking parser decides (and names the problem).
@Suite struct ObjectKeyFastParsingTests {
    static let alphabet = Array("ab.-_Z09+/=.partition=jsonktapegzkeys".utf8) + [0xC3, 0xA4, 0x20]

    /// Real keys and keys one to three random byte edits away from them.
    static func keys(_ random: inout SplitMix64, count: Int) -> [String] {
        let topics = ["orders", "a", "..x", "t.1_-Z", String(repeating: "t", count: 249), String(repeating: "t", count: 250)]
        var keys: [String] = []
        for _ in 0..<count {
            let topic = topics[Int(random.next() % UInt64(topics.count))]
            let partition = Int32(random.next() % 3 == 0 ? random.next() % 3 : random.next() % UInt64(Int32.max))
            let offset = Int64(random.next() % [100, 10_000_000_000, 100_000_000_000_000][Int(random.next() % 3)])
            let kind = ObjectFileKind.all[Int(random.next() % UInt64(ObjectFileKind.all.count))]
            var bytes = Array(
                "topics/\(topic)/partition=\(partition)/\(topic)+\(partition)+\(ObjectKey.paddedOffset(offset)).\(kind.fileExtension)".utf8)
            for _ in 0..<Int(random.next() % 4) {
                let at = 7 + Int(random.next() % UInt64(bytes.count - 7))  // below "topics/"
                switch random.next() % 3 {
                case 0: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                }
            }
            keys.append(String(decoding: bytes, as: UTF8.self))
        }
        return keys
    }

    @Test func fastAndCheckedParsersAgree() throws {
        var random = SplitMix64(state: 20_261_205)
        var accepted = 0
        for key in Self.keys(&random, count: 20_000) {
            let checked = Result { try ObjectKey.checkedParse(key, root: "topics/") }
            let fast = ObjectKey.fastParseFolders(key.dropFirst("topics/".count))
            if let fast {
                #expect(try checked.get() == fast, "\(key)")
                accepted += 1
            }
            let file = String(key.split(separator: "/").last ?? "")
            for anyPadding in [false, true] {
                let checkedFile = Result { try ObjectKey.checkedParseFileName(file, anyPadding: anyPadding) }
                var copy = file
                let fastFile = copy.withUTF8 { ObjectKey.fastParseFileName($0, anyPadding: anyPadding) }
                if let fastFile { #expect(try checkedFile.get() == fastFile, "\(file)") }
            }
            // The public entry agrees with the checking parser whichever path answered.
            let public_ = Result { try ObjectKey.parse(key, prefix: "", topicsDir: "topics") }
            #expect((try? public_.get()) == (try? checked.get()), "\(key)")
        }
        #expect(accepted > 1_000)  // it does carry the common case (a quarter of the keys are unedited)
    }

    /// A key `canonicalObjectKey` names is exactly the key the layout spells for that name (restore
    /// relies on it to skip spelling keys), and the name is what the checking parser reads; the
    /// layout's own spellings of ten-digit offsets are all recognised.
    @Test func canonicalKeysAreTheLayoutsOwnSpelling() throws {
        var random = SplitMix64(state: 20_261_206)
        var canonical = 0
        for (prefix, topicsDir) in [("", "topics"), ("a/b", "topics"), ("p", "x/y")] {
            let layout = StoreLayout(prefix: prefix, topicsDir: topicsDir)
            let root = KeyParts.join(prefix, topicsDir) + "/"
            for key in Self.keys(&random, count: 5_000) {
                let placed = root + key.dropFirst("topics/".count)
                let checked = try? ObjectKey.checkedParse(placed, root: root)
                var bytes = placed
                #expect(bytes.withUTF8 { layout.isCanonicalKey($0) } == (layout.canonicalObjectKey(placed) != nil))
                guard let name = layout.canonicalObjectKey(placed) else {
                    if let checked, layout.key(for: checked) == placed { #expect(checked.startOffset >= 10_000_000_000, "\(placed)") }
                    continue
                }
                canonical += 1
                #expect(layout.key(for: name) == placed)
                #expect(checked == name)
                #expect(try layout.objectKey(parsing: placed) == name)
            }
            let other = StoreLayout(prefix: prefix + "z", topicsDir: topicsDir)
            #expect(
                other.canonicalObjectKey(layout.key(for: try ObjectKey(topic: "t", partition: 0, startOffset: 0, kind: .init(.values))))
                    == nil)
        }
        #expect(canonical > 2_000)
        #expect(StoreLayout(prefix: "", topicsDir: "").canonicalObjectKey("t/partition=0/t+0+0000000000.json") == nil)
    }
}
