import Checksums
import Foundation

/// Every `_ktape/` document ktape writes ends with a member `"seal" : "crc64nvme:<base64>"`: the
/// CRC64NVME of the document as it is without that member. A byte changed after the write (a damaged
/// copy, a hand edit) is then refused on reading instead of taken at its word: one digit changed in
/// `pruned.json` had left records out of a restore with exit 0, and a manifest's partition count
/// passed verify. A document without a seal (written by ktape before it, or by an edit that removed
/// it) is read as before.
enum DocumentSeal {
    static let member: StaticString = "seal"
    // The member as JSONEncoder's pretty printing would place it last, so a sealed document reads as
    // any other; everything before it is the document it seals, closed again with `closing`.
    private static let opening = Array(",\n  \"\(member)\" : \"crc64nvme:".utf8)
    private static let closing = Array("\n}".utf8)
    private static let end = Array("\"\n}".utf8)
    private static let base64Length = 12
    private static var sealLength: Int { opening.count + base64Length + end.count }

    /// `document` (pretty-printed JSONEncoder output of an object) with its seal as the last member.
    static func sealed(_ document: [UInt8]) -> [UInt8] {
        // An object with no member has nothing to seal, and a comma before the seal would break it.
        guard document.count > 3, document.suffix(closing.count).elementsEqual(closing), document.first == UInt8(ascii: "{")
        else { return document }
        var bytes = Array(document.dropLast(closing.count))
        bytes.reserveCapacity(document.count + sealLength)
        bytes += opening
        bytes += Array(CRC64NVME.checksum(document).base64.utf8)
        bytes += end
        return bytes
    }

    enum Reading: Equatable {
        case unsealed
        case intact
        /// Why the document is not what ktape sealed.
        case changed(String)
    }

    static func read(_ whole: UnsafeRawBufferPointer) -> Reading {
        // Whitespace after the closing brace (an editor's final newline) changes nothing the seal covers.
        var length = whole.count
        while length > 0, [0x20, 0x0A, 0x0D, 0x09].contains(whole[length - 1]) { length -= 1 }
        let raw = UnsafeRawBufferPointer(rebasing: whole[..<length])
        let bytes = raw.bindMemory(to: UInt8.self)
        guard bytes.count >= sealLength + closing.count,
            bytes[(bytes.count - end.count)...].elementsEqual(end),
            bytes[(bytes.count - sealLength)...].prefix(opening.count).elementsEqual(opening)
        else {
            // A seal that is there but not in the form ktape writes, or not last (a tool that sorts
            // keys, or an edit, moved it), was damaged or edited too: after any one byte changed,
            // either its member is still there or its value's start is left at the end. (Not the
            // word "seal" there: a topic of that name ends a prune record.)
            let tail = bytes.suffix(sealLength + 16)
            let value = Array("\"crc64nvme:".utf8)
            let marked = tail.indices.contains { tail[$0...].starts(with: value) }
            if marked || ManifestBulkDecoding.hasTopLevelMember(raw, named: member) == true {
                return .changed("its seal is not where and as ktape writes it, last")
            }
            return .unsealed
        }
        let sealAt = bytes.count - sealLength
        let text = String(decoding: bytes[(sealAt + opening.count)..<(bytes.count - end.count)], as: UTF8.self)
        guard let recorded = CRC64NVME(base64: text) else { return .changed("its seal '\(text)' is not a CRC64NVME") }
        var actual = CRC64NVME()
        actual.update(UnsafeRawBufferPointer(rebasing: raw[..<sealAt]))
        actual.update(closing)
        return actual == recorded
            ? .intact
            : .changed("its bytes are not those ktape sealed (crc64nvme \(actual.base64), sealed as \(recorded.base64))")
    }
}

extension LayoutJSON {
    /// `encode`, sealed: for a whole document under `_ktape/`.
    static func encodeDocument<T: Encodable>(_ value: T) throws -> Data {
        Data(DocumentSeal.sealed(Array(try encode(value))))
    }

    /// Refuses a document whose seal does not match it. One whose header is at fault (another format,
    /// a newer version, whose seal may be another) gets the header's error.
    static func checkSeal(_ raw: UnsafeRawBufferPointer, name: String, format: String, version: Int) throws {
        guard case .changed(let why) = DocumentSeal.read(raw) else { return }
        if let header = try? JSONDecoder().decode(Header.self, from: Data(raw)) {
            try check(header, name: name, format: format, version: version)
        }
        let advice: String
        switch format {
        case StoreIndex.formatName: advice = ""  // derived: whoever reads it says how it is folded again
        case RunManifest.formatName, PrunedState.formatName:
            advice =
                "; copy it again from the store it came from, or, if the edit was deliberate, remove its \"\(DocumentSeal.member)\" member"
        default: advice = "; if the edit was deliberate (a lease removed by hand), remove its \"\(DocumentSeal.member)\" member too"
        }
        throw ManifestError(
            manifest: name, reason: "changed after ktape wrote it: \(why) (a damaged copy, or an edit)\(advice)",
            noun: ManifestError.noun(of: format), changedAfterWrite: true)
    }
}
