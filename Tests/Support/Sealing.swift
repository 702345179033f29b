import Foundation

/// A document under `_ktape/` without its seal, as ktape before seals wrote it: for tests that edit
/// a document's text to make one of an older ktape, or damage it past its seal.
public enum Sealing {
    public static func unsealed(_ bytes: [UInt8]) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let at = text.range(of: ",\n  \"seal\" : \"crc64nvme:", options: .backwards), text.hasSuffix("\"\n}") else {
            return bytes
        }
        return Array((text[..<at.lowerBound] + "\n}").utf8)
    }

    public static func unsealed(_ data: Data) -> Data { Data(unsealed(Array(data))) }

    public static func unsealed(_ text: String) -> String { String(decoding: unsealed(Array(text.utf8)), as: UTF8.self) }
}
