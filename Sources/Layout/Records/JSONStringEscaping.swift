/// Writes valid UTF-8 bytes as the inside of a JSON string, escaping only what must be escaped
/// (`"`, `\`, controls below 0x20) plus U+2028/U+2029, which JavaScript parsers reject raw.
enum JSONStringEscaping {
    /// 0: copy as is; 1: needs an escape; 2: 0xE2, possibly the start of U+2028/U+2029.
    private static let classOf: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 256)
        for b in 0..<0x20 { table[b] = 1 }
        table[Int(UInt8(ascii: "\""))] = 1
        table[Int(UInt8(ascii: "\\"))] = 1
        table[0xE2] = 2
        return table
    }()

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Appends the escaped form of `bytes`, which must already be valid UTF-8.
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        classOf.withUnsafeBufferPointer { table in
            var runStart = 0
            var i = 0
            while i < count {
                let b = base[i]
                let kind = table[Int(b)]
                if kind == 0 { i += 1; continue }
                if kind == 2 {
                    // E2 80 A8 / E2 80 A9 are U+2028 / U+2029; any other E2 sequence passes through.
                    guard i + 2 < count, base[i + 1] == 0x80, base[i + 2] == 0xA8 || base[i + 2] == 0xA9 else {
                        i += 1
                        continue
                    }
                    out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart))
                    out.appendLiteral(base[i + 2] == 0xA8 ? "\\u2028" : "\\u2029")
                    i += 3
                    runStart = i
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart))
                switch b {
                case UInt8(ascii: "\""): out.appendLiteral("\\\"")
                case UInt8(ascii: "\\"): out.appendLiteral("\\\\")
                case 0x0A: out.appendLiteral("\\n")
                case 0x0D: out.appendLiteral("\\r")
                case 0x09: out.appendLiteral("\\t")
                case 0x08: out.appendLiteral("\\b")
                case 0x0C: out.appendLiteral("\\f")
                default:
                    out.appendLiteral("\\u00")
                    let hex = hexDigits.utf8Start
                    out.append(hex[Int(b >> 4)])
                    out.append(hex[Int(b & 0x0F)])
                }
                i += 1
                runStart = i
            }
            out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
        }
    }
}
